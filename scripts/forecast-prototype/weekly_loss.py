# Per test week, how much a model's forecast loses against persistence (weekly MAPE of the model minus
# persistence's, points; positive = the model loses), with the blend weight w and the linear/log choice
# of each weekly training (docs/models.md, "Against the targets", BPAT at 48 h).
# Usage: GRIDS=/tmp/grids.json python3 weekly_loss.py ZONE STEP [EXPERIMENT]   (STEP in slots: 47 = 48 h hourly)
import sys, datetime
zone, h = sys.argv[1], int(sys.argv[2])
name = sys.argv[3] if len(sys.argv) > 3 else 'hl4_16_f12'
sys.argv = sys.argv[:1]
from explore import *
tr = [Trace(t) for t in G if t['zone'] == zone][0]
cands, groups, bo = EXPERIMENTS[name]
P = [cand_pred(tr, h, c) for c in cands]
r = blend_score(tr, h, P, groups, **bo)
print(f"{zone} step {h} {name}: model {r['model']:.2f} %, persistence {r['p']:.2f} %")
rows = []
for (T, b, w, c, a) in r['info']:
    po = np.arange(T, min(T + tr.week, tr.n - h))
    y = tr.y[po + h]; ok = np.isfinite(y) & (y >= 1); po = po[ok]; y = y[ok]
    if len(po) == 0: continue
    pred = sum(a[j] * P[j] for j in range(len(P)) if a[j])
    base = [tr.ff[po - 1], tr.fget(src(po, h, tr.day)), tr.fget(src(po, h, tr.week))][b]   # the baseline blended in
    f = np.maximum(0, c * (w * pred[po] + (1 - w) * base))
    loss = 100 * np.mean(np.abs(y - f) / y - np.abs(y - tr.ff[po - 1]) / y)
    day = datetime.datetime.fromtimestamp(tr.t0 + T * tr.slot, datetime.timezone.utc).date()
    print(f"  week from {day}: w {w:.1f} {'log' if len(a) > 1 and a[1] > 0 else 'lin'} loss {loss:+.1f}")
