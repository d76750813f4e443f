"""Equal error rate."""

from metricvox.metrics.error_rates import error_rates


def equal_error_rate(target_scores, nontarget_scores):
    """The EER (a fraction, not a percentage) and the threshold where it is reached.

    Between the last operating point with p_miss < p_fa and the first with
    p_miss >= p_fa the DET trace is taken as a straight line, and the EER is
    where it crosses p_miss == p_fa.
    """
    rates = error_rates(target_scores, nontarget_scores)
    gap = rates.p_miss - rates.p_fa           # -1 at the first point, +1 at the last
    i = int((gap >= 0).argmax())              # first point at or past the crossing (i >= 1)
    share = -gap[i - 1] / (gap[i] - gap[i - 1])
    eer = rates.p_miss[i - 1] + share * (rates.p_miss[i] - rates.p_miss[i - 1])
    return float(eer), float(rates.thresholds[i])


def eer_percent_text(eer):
    """The EER as the reports show it: a percentage with two decimals, rounded from the three
    that metricvox-compute-eer prints (as RESULTS.md's tables are), so that a plot's legend
    and a table never differ in the last digit."""
    return f"{round(100 * eer, 3):.2f}"
