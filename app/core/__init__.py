"""What every feature may use: vocabulary, dates, Markdown, pagination, the identifying-data
checker, refusals, signals and command-line helpers. Imports nothing of the features."""
