"""What the benches share: the percentile they print and a precise send."""

from __future__ import annotations

# Clicks «Отправить» from inside the page and returns the moment of the click, in epoch
# milliseconds. Playwright's own click first waits for the button to be stable for a
# couple of frames, which would add tens of milliseconds that no user waits.
CLICK_SEND_JS = """() => {
  const button = [...document.querySelectorAll("button[type=submit]")]
    .find((b) => b.textContent.trim() === "Отправить");
  const clicked = performance.timeOrigin + performance.now();
  button.click();
  return clicked;
}"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]
