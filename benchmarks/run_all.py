"""Run every benchmark in this folder, one after the other (`make bench`)."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ["bench_mlp_step.py", "bench_layers.py", "chapters.py"]

if __name__ == "__main__":
    status = 0
    for script in SCRIPTS:
        print(f"\n=== {script}", flush=True)
        status |= subprocess.call([sys.executable, str(HERE / script), *sys.argv[1:]])
    sys.exit(status)
