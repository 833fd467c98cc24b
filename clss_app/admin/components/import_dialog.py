"""The import dialog: template, upload, the dry run's errors, then one all-or-nothing commit."""

from __future__ import annotations

import reflex as rx

from clss_app.admin.components.common import IOState, files
from clss_app.admin.io import MAX_IMPORT_BYTES
from clss_app.ui import theme


def import_dialog(IO: IOState, label: str) -> rx.Component:
    upload_id = "admin-import-upload"
    # Said here: the server refuses a larger file at the door (upload_guard), without a word to the page.
    too_big = f"只能上传不超过 {MAX_IMPORT_BYTES // 1024 // 1024} MB 的 .xlsx 或 .csv 文件"
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(f"导入{label}"),
            rx.vstack(
                rx.hstack(
                    rx.text("第一步：下载模板，按模板填写（列：", IO.import_columns.join("、"), "）", size="2"),
                    rx.button(
                        rx.icon("file-down", size=14),
                        "下载模板",
                        size="1",
                        variant="soft",
                        on_click=IO.download_template,
                        id="import-template",
                    ),
                    align="center",
                ),
                rx.text("第二步：上传填好的 .xlsx 或 .csv 文件，系统先校验，不会写入任何数据。", size="2"),
                rx.upload.root(
                    rx.vstack(
                        rx.icon("upload", size=24, color="#64748b"),
                        rx.text("点击或拖入文件", size="2", color=theme.TEXT_MUTED),
                        align="center",
                    ),
                    id=upload_id,
                    accept={
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [".xlsx"],
                        "text/csv": [".csv"],
                    },
                    max_files=1,
                    max_size=MAX_IMPORT_BYTES,
                    on_drop=IO.upload_import(files(IO, upload_id)),
                    on_drop_rejected=lambda _: rx.toast.error(too_big, position="top-center"),
                    border="1px dashed #cbd5e1",
                    border_radius="8px",
                    padding="20px",
                    width="100%",
                    cursor="pointer",
                ),
                rx.cond(
                    IO.io_busy,
                    rx.hstack(
                        rx.spinner(),
                        rx.text(IO.io_message, size="2"),
                        rx.progress(value=IO.io_progress, width="160px"),
                        align="center",
                    ),
                ),
                rx.cond(
                    IO.import_filename != "",
                    rx.text(
                        "文件：",
                        IO.import_filename,
                        "，共 ",
                        IO.import_total,
                        " 行",
                        rx.cond(
                            IO.import_bad_rows > 0,
                            "：校验通过 "
                            + (IO.import_total - IO.import_bad_rows).to_string()
                            + " 行，有误 "
                            + IO.import_bad_rows.to_string()
                            + " 行",
                            "",
                        ),
                        size="2",
                        id="import-summary",
                    ),
                ),
                rx.cond(
                    IO.import_errors.length() > 0,
                    rx.vstack(
                        rx.text(
                            "发现 ",
                            IO.import_errors.length(),
                            " 处错误，请修改文件后重新上传（未导入任何数据）：",
                            size="2",
                            color="#dc2626",
                            weight="medium",
                        ),
                        rx.scroll_area(
                            rx.table.root(
                                rx.table.header(
                                    rx.table.row(
                                        rx.table.column_header_cell("行号"),
                                        rx.table.column_header_cell("列"),
                                        rx.table.column_header_cell("原因"),
                                    )
                                ),
                                rx.table.body(
                                    rx.foreach(
                                        IO.import_errors,
                                        lambda e: rx.table.row(
                                            rx.table.cell(e["row"]),
                                            rx.table.cell(e["column"]),
                                            rx.table.cell(e["message"]),
                                        ),
                                    )
                                ),
                                size="1",
                                width="100%",
                                id="import-errors",
                            ),
                            max_height="220px",
                            type="auto",
                        ),
                        width="100%",
                    ),
                ),
                rx.cond(
                    IO.import_ready,
                    rx.callout(
                        "校验通过：" + IO.import_total.to_string() + " 行均可导入。点击“确认导入”一次性写入，"
                        "任何一行失败则全部不写入。",
                        icon="circle-check",
                        color_scheme="green",
                        size="1",
                        id="import-ok",
                    ),
                ),
                rx.hstack(
                    rx.dialog.close(rx.button("取消", variant="soft", color_scheme="gray")),
                    rx.button("确认导入", on_click=IO.commit_import, disabled=~IO.import_ready, id="import-commit"),
                    justify="end",
                    width="100%",
                ),
                spacing="3",
                width="100%",
            ),
            max_width="720px",
        ),
        open=IO.import_open,
        on_open_change=IO.import_open_change,
    )
