"""The page's inline CSS and the severity colours (darker is more severe, so greyscale keeps the order)."""

from __future__ import annotations

COLOURS = {"critical": "#7a1010", "high": "#cc3311", "medium": "#e69500", "low": "#7aa6d6", "info": "#c4c8cc"}

CSS = """
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,"Segoe UI",Roboto,"Liberation Sans","DejaVu Sans",Arial,sans-serif;color:#1f2328;
 margin:0 auto;max-width:1200px;padding:20px 24px}
h1{font-size:20px;margin:0}h2{font-size:17px;margin:28px 0 8px;padding-bottom:3px;border-bottom:2px solid #d0d7de}
h3{font-size:15px;margin:14px 0 6px}p{margin:4px 0}
.mono,code{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:11.5px}
table{border-collapse:collapse;width:100%;margin:6px 0}
th,td{border:1px solid #d0d7de;padding:4px 6px;text-align:left;vertical-align:top}
td{overflow-wrap:break-word}.mono,.path{overflow-wrap:anywhere}.mono.digest{overflow-wrap:normal}th{background:#f3f5f7;font-weight:600}
header{display:flex;gap:24px;align-items:center;padding:12px 18px;border:3px solid;border-radius:6px}
.v-PASS{border-color:#1a7f37;background:#e6f6ea}.v-FAIL{border-color:#b31d28;background:#fdecea}
.v-INCOMPLETE{border-color:#8a5a00;background:#fff4cc}.v-REPORT{border-color:#57606a;background:#f3f5f7}
.word{font-size:32px;font-weight:800;letter-spacing:.05em;padding:2px 14px;border:2px solid;border-radius:4px}
header dl{margin:0 0 0 auto;display:grid;grid-template-columns:auto auto;gap:0 10px;font-size:13px}
dt{font-weight:600}dd{margin:0}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
.card{border:1px solid #d0d7de;border-radius:4px;padding:6px 12px;min-width:170px}
.card b{display:block;font-size:20px}.muted{color:#57606a}
nav ol{columns:2;margin:4px 0;padding-left:22px}
.chart{width:100%;max-width:800px;height:auto;display:block;font-size:12px}
.chart text{fill:#1f2328}.chart .n{font-weight:700}
.alert{border:3px solid #b31d28;background:#fdecea;padding:8px 14px;border-radius:6px;margin-top:14px}
.alert h2{border:0;margin-top:4px;color:#8b0000}
.notice{border:2px solid #8a5a00;background:#fff8e0;padding:4px 14px;border-radius:6px;margin-top:14px}
.notice h2{border:0;margin-top:4px;font-size:15px}
.rule{border:1px solid #d0d7de;border-left:6px solid;border-radius:4px;padding:10px 14px;margin:14px 0}
.rule h3{margin-top:0}.rule>dl{display:grid;grid-template-columns:130px 1fr;gap:4px 12px;margin:6px 0}
.rule ul{margin:0;padding-left:18px}.warn{color:#8b0000;font-weight:700}
.sev{display:inline-block;min-width:64px;text-align:center;font-size:12px;font-weight:700;border-radius:3px;
 padding:0 6px;text-transform:uppercase;border:1px solid #1f2328}
.sev-critical,.sev-high{color:#fff}.sev-medium,.sev-low,.sev-info{color:#1f2328}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:0 8px;margin:0;font-size:12px}
dl.kv dt{font-weight:400;color:#57606a}td p{margin:2px 0}
.tag{white-space:nowrap;font-size:11px;font-weight:700;text-transform:uppercase;border:1px solid;border-radius:3px;
 padding:0 4px}
tr.suppressed td{background:#eef1f4}.tag.open{color:#b31d28}.tag.waived,.tag.baselined,.tag.active{color:#1a5fb4}
.tag.expired,.tag.stale{color:#8a5a00}
footer{margin-top:30px;font-size:12px;color:#57606a}
@page{margin:14mm}
@media print{body{padding:0;max-width:none;font-size:11px}nav{display:none}tr,.card,svg{break-inside:avoid}
 h2,h3{break-after:avoid}*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""
