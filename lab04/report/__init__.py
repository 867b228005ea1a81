"""The report: section modules turn a run's results (plain values, lab04.report.run) into the context
of their template partial; lab04.report.render numbers them and writes the PDF."""
