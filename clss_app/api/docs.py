"""The API's docs page, served by the app itself from its OpenAPI document: plain HTML, no script and
nothing from a CDN, so it works offline and under the app's Content-Security-Policy."""

from __future__ import annotations

import html
from typing import Any

METHODS = ("get", "post", "put", "patch", "delete")


def _schema_name(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"{_schema_name(schema.get('items', {}))}[]"
    if "anyOf" in schema:
        return " | ".join(_schema_name(s) for s in schema["anyOf"])
    return str(schema.get("type", "object"))


def _params(op: dict[str, Any]) -> str:
    rows = []
    for p in op.get("parameters", []):
        schema = p.get("schema", {})
        enum = schema.get("enum") or next((s.get("enum") for s in schema.get("anyOf", []) if s.get("enum")), None)
        kind = _schema_name(schema) + (f"（{' / '.join(map(str, enum))}）" if enum else "")
        rows.append(
            f"<tr><td><code>{html.escape(p['name'])}</code></td><td>{html.escape(p['in'])}</td>"
            f"<td>{'是' if p.get('required') else ''}</td><td>{html.escape(kind)}</td>"
            f"<td>{html.escape(p.get('description', ''))}</td></tr>"
        )
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if body:
        rows.append(
            f"<tr><td>请求体</td><td>body</td><td>是</td><td>{html.escape(_schema_name(body))}</td><td></td></tr>"
        )
    if not rows:
        return ""
    head = "<tr><th>参数</th><th>位置</th><th>必填</th><th>类型</th><th>说明</th></tr>"
    return f"<table>{head}{''.join(rows)}</table>"


def _schemas(doc: dict[str, Any]) -> str:
    out = []
    for name, schema in sorted(doc.get("components", {}).get("schemas", {}).items()):
        props = schema.get("properties", {})
        fields = "".join(
            f"<tr><td><code>{html.escape(k)}</code></td><td>{html.escape(_schema_name(v))}</td>"
            f"<td>{html.escape(v.get('title', '') if 'description' not in v else v['description'])}</td></tr>"
            for k, v in props.items()
        )
        out.append(f'<h3 id="schema-{html.escape(name)}">{html.escape(name)}</h3><table>{fields}</table>')
    return "".join(out)


def page(doc: dict[str, Any], spec_url: str) -> str:
    info = doc.get("info", {})
    ops = []
    for path, item in doc.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            answers = ", ".join(sorted(op.get("responses", {})))
            ops.append(
                f'<section><h3><span class="m {method}">{method.upper()}</span> <code>{html.escape(path)}</code> '
                f"{html.escape(op.get('summary', ''))}</h3>"
                f"<p>{html.escape(op.get('description', ''))}</p>{_params(op)}"
                f"<p class=r>应答：{html.escape(answers)}{'；需登录' if op.get('security') else ''}</p></section>"
            )
    style = (
        "body{font-family:'Noto Sans CJK SC',sans-serif;max-width:1100px;margin:24px auto;padding:0 16px;"
        "color:#1f2937}"
        "table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #d1d5db;padding:3px 8px;font-size:13px}"
        "section{border-bottom:1px solid #e5e7eb;padding:6px 0}"
        ".m{color:#fff;padding:1px 6px;border-radius:3px;font-size:12px}"
        ".get{background:#2563eb}.post{background:#16a34a}.delete{background:#dc2626}.r{color:#6b7280;font-size:12px}"
    )
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{html.escape(info.get('title', ''))}</title><style>{style}</style></head><body>"
        f"<h1>{html.escape(info.get('title', ''))} {html.escape(info.get('version', ''))}</h1>"
        f"<p>{html.escape(info.get('description', ''))}</p>"
        f'<p>OpenAPI 文档：<a href="{html.escape(spec_url)}">{html.escape(spec_url)}</a></p>'
        f"<h2>接口</h2>{''.join(ops)}<h2>数据结构</h2>{_schemas(doc)}</body></html>"
    )
