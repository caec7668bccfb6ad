from tests.services.conftest import world  # noqa: F401  the same small partner as the service tests
