"""Training: recipes, grouped folds, patch data, the fold trainer, cross-validation, bundles."""
