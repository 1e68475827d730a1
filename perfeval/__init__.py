"""perfeval: 项目支出绩效自评 in batch — read the forms, check them, score them, report."""

__version__ = "0.1.0"

# Ctrl-C, at any moment of a command: outputs are only ever replaced whole (see ``outputs.commit``)
INTERRUPTED = "\n已中断：之前的输出保持不变，没有写入不完整的文件。"
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
