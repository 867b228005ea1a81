"""Analysis of trained passes: tables, statistics, weights, the pneumonia metrics, plots."""
