import numpy as np, sys
def load(path):
    a = np.fromfile(path, dtype=np.float64)
    n = int(a[0]); trace = a[1:1+n]; p = 1+n
    J = int(a[p]); H = int(a[p+1]); p += 2
    jobs = []; F = np.empty((J, H, 3))
    for i in range(J):
        s0, h, dur, sub, dl, pw = a[p:p+6]; p += 6
        F[i] = a[p:p+3*H].reshape(H, 3); p += 3*H
        jobs.append((int(s0), int(h), dur, sub, dl, pw))
    return trace, jobs, F

def interp(trace):
    x = trace.copy(); idx = np.arange(len(x)); ok = np.isfinite(x)
    x[~ok] = np.interp(idx[~ok], idx[ok], x[ok]); return x

def plan_cost(actual, jobs, fc, inter):
    """fc: list of forecast arrays (len h) per job. returns total planned, run-now carbon (slot units)."""
    planned = 0.0; now = 0.0
    for (s0, h, dur, sub, dl, pw), f in zip(jobs, fc):
        d = int(round(dur/1800)); a = actual[s0:s0+h]
        now += a[:d].sum()
        f = np.where(np.isfinite(f), f, 1e12)
        if inter:
            order = np.argsort(f[:h], kind='stable')[:d]
            planned += a[order].sum()
        else:
            c = np.concatenate([[0], np.cumsum(f[:h])])
            last = h - d
            w = c[d:d+last+1] - c[:last+1]
            k = int(np.argmin(w))
            planned += a[k:k+d].sum()
    return planned, now
