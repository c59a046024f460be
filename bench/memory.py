"""Memory: peak RSS of the web (gunicorn master + workers) and worker processes while the other benchmarks ran."""

from .common import record, report


def run(sampler):
    """Stop the sampler started before the other benchmarks; print and record the peaks."""
    peaks = sampler.stop()
    per_process = {f"{role}:{pid}": round(rss / 2**20, 1)
                   for (role, pid), rss in sorted(sampler.peak_per_process.items())}
    figures = {"peak_rss_mib": peaks, "peak_rss_mib_per_process": per_process}
    report("memory (peak RSS during the benchmarks, psutil, sampled every 0.25 s)", [
        *[(role, f"{mib:.1f} MiB") for role, mib in peaks.items()],
        *[(f"  {key}", f"{mib:.1f} MiB") for key, mib in per_process.items()],
    ])
    record("memory", figures)
    return figures
