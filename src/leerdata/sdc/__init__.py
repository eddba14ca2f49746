"""Statistical disclosure control of the published marts: the cell key method.

- ptable: the perturbation table (noise per true count and cell key), published.
- propagation: bounds propagation over homogeneous linear relations.
- reader_model: what a reader of the protected marts knows, as bounds and relations.
- withhold: the build's audit, withholding the few cells a reader could still pin.
- published: the same audit run on a built reporting file before it is published.
The record and cell keys are computed in SQL (models/intermediate/*/int_*_cells.sql,
macros record_key and perturbed).
"""
