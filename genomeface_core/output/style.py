"""The stylesheet and the table-sorting script of ``report.html``, inlined in the page (no external files).

The ``svg`` rules style the classes the figures of :mod:`genomeface_core.output.plots` use.
"""

CSS = """
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#222;margin:0;
 background:#f6f7f9}
main{max-width:1480px;margin:0 auto;padding:18px 28px 40px}
h1{font-size:22px;margin:6px 0 2px}h2{font-size:17px;margin:0 0 6px}
.sub{color:#555;margin:0 0 14px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:10px 0 18px}
.card{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:10px 16px;min-width:150px}
.card b{display:block;font-size:22px}.card span{color:#555;font-size:12.5px}
.grid2{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}
.grid2>section{flex:1 1 560px;min-width:0}
section{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:14px 16px;margin:0 0 18px}
.cap{color:#555;font-size:12.5px;margin:4px 0 0}
svg.fig{max-width:100%;height:auto;font-family:inherit}
svg .grid{stroke:#eceef1}svg .frame{fill:none;stroke:#888}
svg .tick{font-size:11.5px;fill:#444}svg .label{font-size:13px;fill:#222}
svg .note{font-size:11.5px;fill:#2d6a2d;font-style:italic;paint-order:stroke;stroke:#fff;stroke-width:3px}
svg .tier{stroke:#5a8f5a;stroke-dasharray:5 4;stroke-width:1.2}
svg .tier-high{fill:#d9f0d3}svg .tier-medium{fill:#f3f7e4}
svg circle.bin{stroke:#222;stroke-width:.8;fill-opacity:.85}
svg .bar.time{fill:#4c72b0}svg .cached{fill:#2d6a2d;font-style:italic}svg .bar.memory{fill:#dd8452}
table{border-collapse:collapse;font-size:13px;font-variant-numeric:tabular-nums}
th,td{padding:4px 10px;border-bottom:1px solid #e6e8eb;text-align:right}
th{background:#f0f2f5;cursor:pointer;user-select:none;position:sticky;top:0}
th:first-child,td:first-child{text-align:left}
th.asc:after{content:' \\25B2'}th.desc:after{content:' \\25BC'}
.tablewrap{max-height:560px;overflow:auto}
.sw{display:inline-block;width:10px;height:10px;border-radius:5px;margin-right:6px}
.high{color:#1b7a1b;font-weight:600}.medium{color:#8a6d00}.low{color:#999}
table.params td{text-align:left}table.params td:first-child{color:#555}
code{font-size:12.5px}
"""

# sorts a table by the clicked column: numeric when every cell parses as a number
JS = """
document.querySelectorAll('table.sortable').forEach(function(t){
 t.querySelectorAll('th').forEach(function(th,i){th.addEventListener('click',function(){
  var b=t.tBodies[0],rows=Array.from(b.rows),asc=!th.classList.contains('asc');
  t.querySelectorAll('th').forEach(function(h){h.classList.remove('asc','desc')});
  th.classList.add(asc?'asc':'desc');
  var v=function(r){return r.cells[i].getAttribute('data-v')||r.cells[i].textContent};
  var num=rows.every(function(r){return !isNaN(parseFloat(v(r)))});
  rows.sort(function(a,c){var x=v(a),y=v(c);
   var d=num?parseFloat(x)-parseFloat(y):x.localeCompare(y,undefined,{numeric:true});return asc?d:-d});
  rows.forEach(function(r){b.appendChild(r)});});});});
"""
