"""The console page's script: poll the class's state, render the seats, send the instructor's
actions. Kept apart from the page's markup so each reads on its own."""

CONSOLE_SCRIPT = r"""
const base = `/console/${TOKEN}`;
const said = (text) => { document.getElementById('said').textContent = text; };
const cell = (text, cls) => {
  const td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls;
  return td;
};
async function act(body) {
  const r = await fetch(`${base}/action`, {method: 'POST', body: JSON.stringify(body),
    headers: {'Content-Type': 'application/json'}});
  const reply = await r.json(); said(reply.said); await refresh(); return reply;
}
async function refresh() {
  const r = await fetch(`${base}/state`); if (!r.ok) { said('console: ' + r.status); return; }
  const state = await r.json();
  document.getElementById('clock').textContent =
    `${state.seats.length} seats, ${state.taken} taken; refreshed in ${state.refresh_ms} ms`;
  const pick = document.getElementById('fault-seat');
  if (pick.options.length === 1)
    for (const s of state.seats) pick.add(new Option(`seat ${s.number}`, s.number));
  const rows = document.getElementById('seats'); rows.replaceChildren();
  for (const s of state.seats) {
    const tr = document.createElement('tr'); tr.id = `seat-${s.number}`;
    const who = s.connected ? 'connected' : s.taken ? 'page open' : 'free';
    tr.append(cell(s.number), cell(who),
      cell(`${s.day}${s.paused ? ' (stopped)' : ` (${s.acceleration}x)`}`), cell(s.program),
      cell(`${s.reservoir_ml} / ${s.capacity_ml} mL`),
      cell(s.alarms.join(', ') || 'none', s.alarms.length ? 'alarm' : ''),
      cell(s.patient ? `${s.patient}; worst ${s.patient_worst}` : 'no patient',
        `harm-${s.patient_worst}`),
      cell(`${Math.round(s.progress * 100)} %` + (s.expectations_met === null ? '' :
        `, ${s.expectations_met}/${s.expectations} expectations met`) +
        (s.finished ? ', over' : '')),
      cell(s.notes.slice(-2).join(' | ')));
    rows.append(tr);
  }
  if (state.ended) document.getElementById('debrief-link').hidden = false;
}
document.getElementById('run').onclick = () => act({clock: 'run'});
document.getElementById('pause').onclick = () => act({clock: 'pause'});
document.getElementById('set-speed').onclick = () =>
  act({clock: 'speed', acceleration: Number(document.getElementById('speed').value)});
document.getElementById('step-hour').onclick = () => act({clock: 'step', seconds: 3600});
document.getElementById('step-day').onclick = () => act({clock: 'step', seconds: 86400});
document.getElementById('inject').onclick = () => act({
  inject: document.getElementById('fault').value,
  seat: document.getElementById('fault-seat').value});
document.getElementById('end').onclick = async () => {
  const reply = await act({end: true}); if (reply.ok) window.location.href = `${base}/debrief`; };
refresh(); setInterval(refresh, 1000);  // an alarm on the console within a second
"""
