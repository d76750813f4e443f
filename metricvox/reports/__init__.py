"""Results as the papers report them: classification reports over folds, ROC and box plots,
Tukey HSD between systems, and Markdown tables of verification and singer results."""
