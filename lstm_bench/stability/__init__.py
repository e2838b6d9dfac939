"""Gradient stability and long-horizon recall: diagnostics, remedies, tasks, trainer and sweep.

Modules, one job each, in data-flow order:

* ``tasks``: pure seeded data generators with their chance baselines (recall, copy, adding,
  number agreement);
* ``models``: ``ModelSpec`` (kind, init, hidden, optional ``--impl``) and model construction;
* ``gradient_norms``: gradient-norm profiles ||dL/dh_t|| and ||dL/dC_t|| for t = 1..T, in float64;
* ``jacobian``: ||dh_T/dh_t|| by power iteration on VJPs, W_hh spectra against 1/γ;
* ``classify``: vanishing / stable / exploding;
* ``remedies``: clipping by norm and value, L2;
* ``monitor``: the warning signs during training, as events;
* ``trainer``: budgeted, seeded, deterministic training with learning curves;
* ``recipes``: the shipped LSTM recipe;
* ``jobs``: picklable job descriptions and the pure functions that run them;
* ``sweep``: the horizon sweep, on any ``concurrent.futures.Executor``;
* ``result``: the merge step and the results document's "stability" section;
* ``table``: the text tables ``lstm-bench stability`` prints;
* ``threads``: torch's thread count for a block of work (1 by default: small ops).
"""
