// Axis steps for the views' canvases (plot.js, a classic script, keeps its own copy).

/**
 * A round step (1, 2 or 5 × a power of ten) that cuts `span` into at most about `count`
 * parts. `slack` lets a span a hair over a round number take that number's step (100.01 Hz in
 * five steps is steps of 20).
 */
export function niceStep(span, count, slack = 0) {
  const raw = span / Math.max(1, count);
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const unit = raw / power * (1 - slack);
  return (unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10) * power;
}
