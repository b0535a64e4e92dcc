"""The catalogue: tools, risk factors, supports, revisions, workflow, scores, the tool sheet and
the tools API."""
