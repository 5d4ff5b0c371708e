"""The demo: realistic, multi-source customer data with a ground truth, written fast.

``write_demo(dir, people, seed)`` writes a whole project: one export per kind of tool in
``data/``, ``cdp.yml`` reading them with the ``files`` connector's presets, starter segments,
a README and ``truth/records.csv`` (which person each customer record is). Everything is
generated column-wise with numpy and Arrow, so a million people take seconds.
"""

from cdp.demo.project import SOURCES, DemoResult, write_demo

__all__ = ["SOURCES", "DemoResult", "write_demo"]
