# Per step and training week: the in-use linear ridge or its log twin (log target, log level features),
# whichever had the lower MAPE on the 8 out-of-sample weeks before the training instant.
# Usage: GRIDS=/tmp/grids.json python3 select_log.py inter+lastd
import sys, time, numpy as np
from proto import *
from variants import make
# Per step and per training week: the linear fit or the log-target twin, whichever had the lower MAPE
# on the 8 weeks of out-of-sample predictions before the training instant (no test data).
opts = sys.argv[1].split('+')
def comb(tr, h, pred):
    p2 = run(tr, [h], make(opts + ['logx']), {'log': 1, '_capture': True})
    week = tr.week; first = int(9 * 168 * tr.sph); lead = week + 1
    out = pred.copy()
    for k in range(0, (tr.n - first) // week + 1):
        T = first + k * week
        oo = np.arange(max(lead, T - 8 * week), T - h)
        oo = oo[np.isfinite(pred[oo]) & np.isfinite(p2[oo]) & np.isfinite(tr.y[oo + h])]
        oo = oo[tr.y[oo + h] >= 1]
        if len(oo) == 0: continue
        yt = tr.y[oo + h]
        a = np.mean(np.abs(yt - pred[oo]) / yt); b = np.mean(np.abs(yt - p2[oo]) / yt)
        sl = slice(T, min(T + week, tr.n))
        if b < a: out[sl] = p2[sl]
    return out
traces = [Trace(t) for t in G]
allres = {}
t0 = time.time()
for tr in traces:
    steps = [int(hh * tr.sph) - 1 for hh in (6, 24)]
    allres[tr.zone] = (run(tr, steps, make(opts), {'combine': comb}), tr.sph)
print('select linear/log', sys.argv[1:], f"{time.time()-t0:.1f}s")
report(allres, [6, 24])
