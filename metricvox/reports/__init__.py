"""Results as the papers report them: classification reports over folds, ROC and box plots,
Tukey HSD between systems, Markdown tables of verification and singer results, and a recipe's
results as one self-contained HTML page."""
