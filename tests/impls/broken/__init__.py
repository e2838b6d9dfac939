"""A catalogue of deliberately broken recurrent implementations, one realistic bug each.

Every class follows the torch.nn contract (parameters, call signature, return structure), so it
loads; the bug shows only in values, gradients or state handling. ``catalogue.CATALOGUE`` maps
each to the conformance check expected to catch it; ``handwritten.HandWrittenLSTM`` is the one
correct implementation here (a hand-written backward) and must pass everything.
"""
