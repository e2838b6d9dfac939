"""The pytest suites installed with lstm-bench; run them from any folder after ``pip install lstm-bench``::

    pytest --pyargs lstm_bench.suites.conformance --impl mypkg.cells:MyLSTM
    pytest --pyargs lstm_bench.suites.stability --impl mypkg.cells:MyLSTM
    pytest --pyargs lstm_bench.suites.benchmarks --impl mypkg.cells:MyLSTM --benchmark-json=bench.json

Without ``--impl`` they test lstm-bench's references and torch.nn's modules. The options come
from the lstm-bench pytest plugin (``lstm_bench.pytest_plugin``).
"""
