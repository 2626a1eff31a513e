/** The page's whole stylesheet: inline, no web fonts, readable printed. */
export const STYLE = `
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--soft:#f6f8fa;--good:#1a7f37;--warn:#9a6700;--bad:#cf222e;--accent:#0969da}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif;color:var(--fg);background:#fff}
main{max-width:1040px;margin:0 auto;padding:24px 24px 48px}
header h1{font-size:22px;margin:0 0 2px}
header p{margin:0;color:var(--muted)}
h2{font-size:17px;margin:32px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:14px;margin:16px 0 6px}
section>p.lead{margin:0 0 10px;color:var(--muted)}
.verdict{margin-top:20px;border:1px solid var(--line);border-left:6px solid var(--accent);border-radius:6px;padding:14px 18px;background:var(--soft)}
.verdict.rds-proxy{border-left-color:var(--good)}.verdict.self-hosted-pooler{border-left-color:var(--warn)}.verdict.no-proxy{border-left-color:var(--muted)}
.verdict .label{font-size:12px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted)}
.verdict .headline{font-size:22px;font-weight:600;margin:2px 0 6px}
.verdict ul{margin:6px 0 0;padding-left:20px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px;margin-top:16px}
.card{border:1px solid var(--line);border-radius:6px;padding:10px 12px}
.card .value{font-size:22px;font-weight:600;font-variant-numeric:tabular-nums}
.card .value small{display:block;font-size:13px;font-weight:400;color:var(--muted)}
.card .name{color:var(--muted);font-size:12px}
.card.bad .value{color:var(--bad)}.card.warn .value{color:var(--warn)}.card.good .value{color:var(--good)}
.legend{display:flex;flex-wrap:wrap;gap:16px;margin:4px 0;font-size:13px}
.legend .key i{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:6px;vertical-align:-1px}
.legend .off-chart{color:var(--muted)}
svg.chart{width:100%;height:auto;display:block;font-size:11px}
svg.chart .grid{stroke:#eaeef2}svg.chart .axis,svg.chart .tick-mark{stroke:#8c959f}
svg.chart .tick{fill:var(--muted)}
svg.chart .line{fill:none;stroke-width:1.6;stroke-linejoin:round}
svg.chart .area{opacity:.15;stroke:none}
svg.chart .threshold{stroke-width:1.2;stroke-dasharray:6 4}
svg.chart .threshold-label{font-weight:600}
svg.bars{font-size:12.5px}svg.bars .bar-label{fill:var(--fg);font-family:ui-monospace,SFMono-Regular,Menlo,monospace}
svg.bars .bar-value{fill:var(--fg);font-variant-numeric:tabular-nums}svg.bars .muted{fill:var(--muted)}
.note{color:var(--muted);font-size:12px;margin:4px 0}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid var(--line)}
th{background:var(--soft);font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}
td code{word-break:break-word}
/* A rule id is one word: its column grows to fit it rather than break "any.statement_over_16kb" in two. */
code.rule-id{white-space:nowrap;word-break:keep-all}
table.statements td:nth-child(1){width:34%}table.statements td:nth-child(2){width:18%}
details{margin-top:12px}details summary{cursor:pointer;font-weight:600;margin-bottom:6px}
.tag{display:inline-block;border-radius:10px;padding:0 7px;font-size:11px;font-weight:600;border:1px solid}
.tag.pin,.tag.break{color:var(--bad);border-color:var(--bad)}.tag.warn,.tag.ambiguous{color:var(--warn);border-color:var(--warn)}.tag.info{color:var(--muted);border-color:var(--muted)}
.copyable{position:relative}
.copyable pre{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:12px;overflow:auto;margin:0}
.copyable button{position:absolute;top:6px;right:6px;font:12px inherit;padding:3px 10px;border:1px solid var(--line);border-radius:4px;background:#fff;cursor:pointer}
tr.recommended td{font-weight:600;background:#dafbe1}.tag.recommended{color:var(--good);border-color:var(--good)}
footer{margin-top:40px;color:var(--muted);font-size:12px}
@media print{.copyable button{display:none}main{padding:0}}
`;

/** Copy buttons; the only script on the page, and it makes no request. */
export const SCRIPT = `
document.querySelectorAll(".copyable button").forEach(function (button) {
  button.addEventListener("click", function () {
    var text = button.parentElement.querySelector("pre").textContent;
    var done = function () { button.textContent = "Copied"; setTimeout(function () { button.textContent = "Copy"; }, 1500); };
    if (navigator.clipboard) navigator.clipboard.writeText(text).then(done, function () {});
  });
});
`;
