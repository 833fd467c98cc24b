"""Personal numbers as a viewer's role may read them (options.Masked, options.MaskedSnapshot): every
place the engine shows a row's values (list, detail, export, a row's history, the audit log) passes
what it shows through ``shown``, so a field declared once is masked everywhere."""

from __future__ import annotations

import json
from typing import Any

from clss_app.admin.fields import FieldSpec
from clss_app.core.principal import Principal
from clss_app.core.privacy import MASK_KINDS, MaskKind, mask


def masked(spec: FieldSpec, p: Principal | None) -> bool:
    return bool(spec.mask) and (p is None or p.role not in spec.mask_full)


def may_reveal(spec: FieldSpec, p: Principal | None) -> bool:
    return masked(spec, p) and p is not None and p.role in spec.mask_reveal


def _masked_text(spec: FieldSpec, text: str) -> str:
    kind: MaskKind = next((k for k in MASK_KINDS if k == spec.mask), "id_number")
    return mask(kind, text)


def shown(spec: FieldSpec, p: Principal | None, text: Any, key: Any = None) -> Any:
    """``text`` (what the field displays) as ``p`` may read it; ``key`` is the row's ``masks_by`` value."""
    if not isinstance(text, str) or not text:
        return text
    if masked(spec, p):
        return _masked_text(spec, text)
    fields = (spec.snapshot_masks or {}).get(key) or {}
    hidden = [n for n, roles in ((spec.snapshot_hidden or {}).get(key) or {}).items() if p is None or p.role in roles]
    if not fields and not hidden:
        return text
    try:
        snap = json.loads(text)
    except ValueError:
        return text
    if not isinstance(snap, dict):
        return text
    for name in hidden:
        snap.pop(name, None)
    for name, field in fields.items():
        if isinstance(snap.get(name), str) and masked(field, p):
            snap[name] = _masked_text(field, snap[name])
    return json.dumps(snap, ensure_ascii=False)
