# Per step and training week: among several candidate ridges (feature options, settings), the one
# with the lowest MAPE on the 8 out-of-sample weeks before the training instant (no test data);
# select_log.py is the two-candidate case (the in-use ridge and its log twin).
# Usage: GRIDS=/tmp/grids.json python3 select_many.py 'inter+lastd' 'inter+lastd+logx;log=1' 'inter+lastd;lam=0.1' ...
#   each candidate: '+'-joined feature options, then ';key=value' settings; 'mean:A|B' = the mean of candidates A and B.
import sys, time, numpy as np
from proto import *
from variants import make
def parse(c):
    parts = c.split(';'); opts = parts[0].split('+') if parts[0] != 'base' else []
    cfg = {}
    for a in parts[1:]:
        k, v = a.split('='); cfg[k] = float(v) if ('.' in v or 'e' in v) else int(v)
    return opts, cfg
cands = sys.argv[1:]
def preds(tr, h, c):
    if c.startswith('mean:'):
        a, b = c[5:].split('|'); return 0.5 * (preds(tr, h, a) + preds(tr, h, b))
    opts, cfg = parse(c); cfg = dict(cfg); cfg['_capture'] = True
    return run(tr, [h], make(opts), cfg)
chosen_counts = {}
def comb(tr, h, pred):
    P = [pred] + [preds(tr, h, c) for c in cands[1:]]
    week = tr.week; first = int(9 * 168 * tr.sph); lead = week + 1
    out = pred.copy()
    for k in range(0, (tr.n - first) // week + 1):
        T = first + k * week
        oo = np.arange(max(lead, T - 8 * week), T - h)
        ok = np.isfinite(tr.y[oo + h])
        for p in P: ok &= np.isfinite(p[oo])
        oo = oo[ok]; oo = oo[tr.y[oo + h] >= 1]
        if len(oo) == 0: continue
        yt = tr.y[oo + h]
        sc = [np.mean(np.abs(yt - p[oo]) / yt) for p in P]
        j = int(np.argmin(sc))
        chosen_counts[(tr.zone, h, j)] = chosen_counts.get((tr.zone, h, j), 0) + 1
        sl = slice(T, min(T + week, tr.n))
        out[sl] = P[j][sl]
    return out
traces = [Trace(t) for t in G]
allres = {}
t0 = time.time()
hs = [float(x) for x in __import__('os').environ.get('HS', '6,24').split(',')]
for tr in traces:
    steps = [int(hh * tr.sph) - 1 for hh in hs]
    opts, cfg = parse(cands[0]); cfg = dict(cfg); cfg['combine'] = comb
    allres[tr.zone] = (run(tr, steps, make(opts), cfg), tr.sph)
print('select among', cands, f"{time.time()-t0:.1f}s")
report(allres, hs)
print('chosen (zone, step, candidate): weeks', sorted(chosen_counts.items()))
