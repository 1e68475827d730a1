"""perfeval: 项目支出绩效自评 in batch — read the forms, check them, score them, report."""

__version__ = "0.1.0"
