"""The product's rules, in plain Python: no Reflex here.

``check_*`` validate and authorise, ``do_*``/verbs write and announce after
commit, ``access_<noun>(actor, id)`` returns a row or one "not found".
"""
