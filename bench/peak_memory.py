"""Peak resident memory of a block of code, for the benches (imported from bench/*.py).

    base = start_peak_measurement()
    ...                                   # the work measured
    grown_mb = (peak_kb() - base) / 1024.0

On Linux the peak (VmHWM) is reset to the current size first, so growth below an
earlier peak is seen; elsewhere the baseline is ru_maxrss and such growth goes unseen.
"""
import resource


def _status_kb(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise OSError(f"no {field} in /proc/self/status")


def start_peak_measurement():
    """The resident size now (kB), with the peak reset to it when possible."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
        return _status_kb("VmRSS")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def peak_kb():
    """The peak resident size (kB) since the last start_peak_measurement()."""
    try:
        return _status_kb("VmHWM")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
