"""Everything the console adds to the app: each feature's pages and sockets, `/static`, and the
error page."""

from __future__ import annotations

from fastapi import FastAPI

from agent_console.admin.import_pages import router as admin_import_pages
from agent_console.admin.pages import router as admin_pages
from agent_console.audit.pages import router as audit_pages
from agent_console.auth.pages import router as sign_in_pages
from agent_console.board.pages import router as board_pages
from agent_console.board.ws import router as board_socket
from agent_console.cases.pages import router as cases_pages
from agent_console.console.pages import router as console_pages
from agent_console.console.ws import router as console_socket
from agent_console.directory.choice_pages import router as note_choice_pages
from agent_console.directory.pages import router as directory_pages
from agent_console.followups.pages import router as followups_pages
from agent_console.kit import errors
from agent_console.kit.render import static_files
from agent_console.lines.pages import router as lines_pages
from agent_console.lines.prompts_pages import router as line_prompts_pages
from agent_console.policies.pages import router as policies_pages
from agent_console.push.pages import router as push_pages
from agent_console.quickreplies.pages import router as quick_reply_pages
from agent_console.readiness.pages import router as readiness_pages
from agent_console.records.pages import router as records_pages
from agent_console.review.pages import router as review_pages
from agent_console.rota.pages import router as rota_pages
from agent_console.stats.archive_pages import router as report_archive_pages
from agent_console.stats.pages import router as stats_pages
from agent_console.supervision.pages import router as supervision_pages
from agent_console.supervision.qa_pages import router as supervision_qa_pages
from agent_console.training.pages import router as training_pages
from agent_console.voicemail.pages import router as voicemail_pages
from agent_console.webchat.pages import router as webchat_pages
from agent_console.webchat.ws import router as webchat_socket


def include(app: FastAPI) -> None:
    errors.install(app)
    app.include_router(sign_in_pages)
    app.include_router(webchat_pages)
    app.include_router(webchat_socket)
    app.include_router(console_pages)
    app.include_router(console_socket)
    app.include_router(followups_pages)
    app.include_router(cases_pages)
    app.include_router(stats_pages)
    app.include_router(report_archive_pages)
    app.include_router(review_pages)
    app.include_router(voicemail_pages)
    app.include_router(audit_pages)
    app.include_router(board_pages)
    app.include_router(board_socket)
    app.include_router(rota_pages)
    app.include_router(readiness_pages)
    app.include_router(admin_import_pages)  # before /admin/users/{user_id}
    app.include_router(admin_pages)
    app.include_router(directory_pages)
    app.include_router(note_choice_pages)
    app.include_router(quick_reply_pages)
    app.include_router(records_pages)
    app.include_router(lines_pages)
    app.include_router(policies_pages)
    app.include_router(line_prompts_pages)
    app.include_router(supervision_pages)
    app.include_router(supervision_qa_pages)
    app.include_router(training_pages)
    app.include_router(push_pages)
    app.mount("/static", static_files(), name="static")
