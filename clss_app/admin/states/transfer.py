"""Export and import of the admin on screen, as background jobs with progress (a substate of its own:
its vars travel only to the pages that use them)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import reflex as rx

from clss_app import db
from clss_app.admin import audit, crud, downloads, io
from clss_app.admin.fields import SHANGHAI
from clss_app.admin.states.base import AdminBase
from clss_app.compat import event
from clss_app.event_guard import refusal
from clss_app.services import auth
from clss_app.services.permissions import IMPORT, VIEW, Forbidden, require


def utcnow_str() -> str:
    return datetime.now(SHANGHAI).strftime("%Y%m%d-%H%M%S")


class TransferMixin(AdminBase, mixin=True):
    io_busy: rx.Field[bool] = rx.field(False)
    io_progress: rx.Field[int] = rx.field(0)
    io_message: rx.Field[str] = rx.field("")
    import_open: rx.Field[bool] = rx.field(False)
    import_filename: rx.Field[str] = rx.field("")
    import_total: rx.Field[int] = rx.field(0)
    import_errors: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    import_bad_rows: rx.Field[int] = rx.field(0)  # the rows with an error: 共 N 行, 校验通过 N−k 行, 有误 k 行
    import_sample: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    import_columns: rx.Field[list[str]] = rx.field(default_factory=list)
    import_ready: rx.Field[bool] = rx.field(False)
    _import_preview: object = None
    _upload_data: bytes = b""

    @event(background=True)
    async def export(self, fmt: str):
        if fmt not in ("csv", "xlsx"):
            yield refusal()
            return
        async with self:
            if self.io_busy:
                return
            admin, q, token = self._admin(), self._query(), self.token
            self.io_busy, self.io_progress, self.io_message = True, 0, "正在导出…"
        progress = {"done": 0, "total": 1}

        def work() -> tuple[str, int]:
            with db.session_scope() as s:
                p = require(auth.principal_for_token(s, token), VIEW, admin.key)  # as export_frame does first
                frame = io.export_frame(s, admin, p, q, lambda d, t: progress.update(done=d, total=t))
                data = io.write_frame(frame, fmt)
                label = admin.site.menu[admin.key].label
                url = downloads.issue(s, p, data, f"{label}-{utcnow_str()}.{fmt}")
                audit.record(s, p, admin.key, None, "export", summary=f"导出 {frame.height} 条（{fmt}）")
                return url, frame.height

        task = await self._track(work, progress)
        async with self:
            self.io_busy, self.io_message = False, ""
            outcome = self._job_outcome(task, "导出")
        if outcome is not None:
            yield outcome
            return
        url, n = task.result()
        yield rx.download(url=url)
        yield rx.toast.success(f"已导出 {n} 条", position="top-center")

    def _job_outcome(self, task: asyncio.Future, verb: str) -> Any:
        """None if the background job succeeded, else the event that tells the user why not.

        Called under the state lock. A refusal says why; anything unexpected is
        logged and reported in one Chinese line, and never leaves the page busy.
        """
        exc = task.exception()
        if exc is None:
            return None
        if isinstance(exc, Forbidden):
            return self._refused(exc)
        logging.getLogger(__name__).error("%s失败", verb, exc_info=exc)
        return rx.toast.error(f"{verb}失败，请稍后重试或联系管理员", position="top-center")

    async def _track(self, work: Callable[[], Any], progress: dict) -> asyncio.Future:
        """Run blocking ``work`` in a thread, publishing its progress every 0.3 s."""
        task = asyncio.get_running_loop().run_in_executor(None, work)
        while not task.done():
            await asyncio.sleep(0.3)
            async with self:
                self.io_progress = int(progress["done"] * 100 / max(progress["total"], 1))
        return task

    @event
    def open_import(self):
        admin = self._admin()
        try:
            with self._session() as (_s, p):
                require(p, VIEW, admin.key)
                p = require(p, IMPORT, admin.key)
                self.import_columns = [admin.fields[n].label for n in io.import_columns(admin, p)]
        except Forbidden as exc:
            return self._refused(exc)
        self.import_errors, self.import_sample, self.import_total, self.import_bad_rows = [], [], 0, 0
        self.import_ready, self.import_filename, self._import_preview = False, "", None
        self.import_open = True

    @event
    def import_open_change(self, is_open: bool):
        if not is_open:
            self.import_open = False
            self._import_preview = None

    @event
    def download_template(self):
        admin = self._admin()
        try:
            with self._session() as (s, p):
                p = require(p, VIEW, admin.key)  # as template does first
                data = io.template(admin, p)
                url = downloads.issue(s, p, data, f"{admin.site.menu[admin.key].label}-导入模板.xlsx")
        except Forbidden as exc:
            return self._refused(exc)
        return rx.download(url=url)

    @event
    async def upload_import(self, files: list[rx.UploadFile]):
        """Receive the file (in memory, never the public upload folder), then check it."""
        if not files:
            return
        admin = self._admin()
        try:
            with self._session() as (_, p):
                require(p, IMPORT, admin.key)
        except Forbidden as exc:
            return self._refused(exc)
        upload = files[0]
        self._import_preview = None  # a new file: the last one's check no longer stands
        self._upload_data = await upload.read(io.MAX_IMPORT_BYTES + 1)
        self.import_filename = (upload.name or upload.filename or "import")[-128:]
        self.import_errors, self.import_sample, self.import_ready, self.import_bad_rows = [], [], False, 0
        return self.__class__.check_import

    @event(background=True)
    async def check_import(self):
        """Dry run: parse and check every row, write nothing, show what is wrong."""
        async with self:
            admin, token = self._admin(), self.token
            data, filename = self._upload_data, self.import_filename
            self._upload_data = b""
            self.io_busy, self.io_progress, self.io_message = True, 0, "正在校验…"
        progress = {"done": 0, "total": 1}

        def work() -> Any:
            with db.session_scope() as s:
                p = auth.principal_for_token(s, token)
                p = require(p, IMPORT, admin.key)
                frame = io.read_sheet(data, filename)
                return io.dry_run(s, admin, p, frame, lambda d, t: progress.update(done=d, total=t))

        task = await self._track(work, progress)
        async with self:
            self.io_busy, self.io_message = False, ""
            exc = task.exception()
            if isinstance(exc, ValueError):  # an unreadable or oversized file: say so in the dialog
                self.import_errors = [{"row": "—", "column": "", "message": str(exc)}]
                self.import_ready, self.import_total, self.import_sample = False, 0, []
                return
            outcome = self._job_outcome(task, "校验")
            if outcome is None:
                preview = task.result()
                self._import_preview = preview
                self.import_total = preview.total
                self.import_errors = preview.errors[:200]
                self.import_bad_rows = len({e["row"] for e in preview.errors if e["row"].isdigit()})
                self.import_sample = preview.sample
                self.import_ready = preview.ok
            else:
                self.import_open = False
        if outcome is not None:
            yield outcome

    @event
    async def commit_import(self):
        """All or nothing: every checked row in one transaction. In a thread: a large file takes
        seconds, and this worker's other tabs go on meanwhile (this tab's state stays locked)."""
        return await asyncio.to_thread(self._commit_import)

    def _commit_import(self) -> Any:
        admin, preview = self._admin(), self._import_preview
        try:
            with self._session() as (s, p):
                p = require(p, IMPORT, admin.key)  # a lapsed login goes to the login page first
                if not isinstance(preview, io.ImportPreview) or not self.import_ready:
                    return rx.toast.error("请先上传并通过校验", position="top-center")
                n = io.commit(s, admin, p, preview, self.import_filename)
        except Forbidden as exc:
            self._import_preview, self.import_ready = None, False
            return self._refused(exc)
        except crud.ValidationFailed as exc:
            self.import_ready = False
            self.import_errors = [{"row": "—", "column": "", "message": str(exc)}]
            return
        self.import_open, self._import_preview = False, None
        return [*self._fetch(fresh=True), rx.toast.success(f"已导入 {n} 条", position="top-center")]
