"""Meeting sessions once paired: the record, ending, the page on screen, and the materials
(PDFs instead of paper) attendees open through the room's QR code."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from server.domain.meetings import (
    MeetingSession,
    PdfRules,
    check_filename,
    check_pdf_size,
    judge_pdf,
)
from server.domain.refusals import Refusal, RefusalCode
from server.services.room_directory import Actor, RoomDirectory
from server.services.room_ports import Material, PageRenderer, PdfInspector, RoomTransaction

MATERIAL_KINDS = ("agenda", "material")
MAX_FILENAME = 200


@dataclass(frozen=True, slots=True)
class SessionDetail:
    session: MeetingSession
    materials: list[Material]
    opened_by: list[str]
    anonymous_opens: int
    pages_shared: int


class MeetingSessions:
    """A session's record, ending it, and what its room screen shows."""

    def __init__(self, directory: RoomDirectory) -> None:
        self.directory = directory
        self.store = directory.store
        self.clock = directory.clock

    def detail(self, session_id: int) -> SessionDetail:
        with self.store.transaction() as tx:
            session = tx.session(session_id)
            if session is None:
                raise Refusal(RefusalCode.SESSION_UNKNOWN, session=session_id)
            return self._detail(tx, session)

    def by_token(self, token: str) -> SessionDetail:
        """The session an attendee's link (the room's QR code) names."""
        with self.store.transaction() as tx:
            session = tx.session_by_token(token)
            if session is None:
                raise Refusal(RefusalCode.MEETING_LINK_INVALID)
            expired = session.link_refusal(self.clock.now())
            if expired:
                raise expired
            return self._detail(tx, session)

    def _detail(self, tx: RoomTransaction, session: MeetingSession) -> SessionDetail:
        opens = tx.opens(session.id)
        return SessionDetail(
            session=session,
            materials=tx.materials(session.id),
            opened_by=sorted({o.viewer for o in opens if o.signed_in}),
            anonymous_opens=len({o.viewer for o in opens if not o.signed_in}),
            pages_shared=tx.shared_pages(session.id),
        )

    def own(self, tx: RoomTransaction, actor: Actor, session_id: int) -> MeetingSession:
        """The session, if `actor` hosts it or oversees rooms; refused otherwise."""
        session = tx.session(session_id)
        if session is None:
            raise Refusal(RefusalCode.SESSION_UNKNOWN, session=session_id)
        if session.host != actor.id and not actor.oversees:
            raise Refusal(RefusalCode.HOST_ONLY, session=session_id)
        return session

    def own_open(self, tx: RoomTransaction, actor: Actor, session_id: int) -> MeetingSession:
        """As `own`, and still running."""
        session = self.own(tx, actor, session_id)
        if not session.open:
            raise Refusal(
                RefusalCode.SESSION_ENDED, session=session_id, end_reason=session.end_reason
            )
        return session

    def record(self, actor: Actor, session_id: int) -> SessionDetail:
        """The session's record, for its host and facilities only."""
        detail = self.detail(session_id)
        if detail.session.host != actor.id and not actor.oversees:
            raise Refusal(RefusalCode.HOST_ONLY, session=session_id)
        return detail

    def end(self, actor: Actor, session_id: int) -> MeetingSession:
        now = self.clock.now()
        with self.store.transaction() as tx:
            session = self.own_open(tx, actor, session_id)
            reason = "ended by the host" if session.host == actor.id else f"ended by {actor.id}"
            end_session(tx, session, now, reason)
            ended = tx.session(session_id)
        assert ended is not None
        return ended

    def show(self, actor: Actor, session_id: int, material_id: int, page: int) -> MeetingSession:
        """Put a material's page on the room screen (and every attendee's viewer)."""
        now = self.clock.now()
        with self.store.transaction() as tx:
            self.own_open(tx, actor, session_id)
            material = next((m for m in tx.materials(session_id) if m.id == material_id), None)
            if material is None:
                raise Refusal(RefusalCode.MATERIAL_UNKNOWN, material=material_id)
            if not 1 <= page <= material.pages:
                raise Refusal(RefusalCode.PAGE_OUT_OF_RANGE, page=page, pages=material.pages)
            tx.show_page(session_id, material_id, page, now)
            shown = tx.session(session_id)
        assert shown is not None
        return shown


def end_session(tx: RoomTransaction, session: MeetingSession, now: datetime, reason: str) -> bool:
    """End an open session and revoke its room's codes; False when it had ended already."""
    if not tx.end_session(session.id, now, reason):
        return False
    tx.revoke_codes(session.room)  # codes of a session die with it
    return True


class RoomMaterials:
    """PDFs attached to a session, and attendees opening them."""

    def __init__(self, sessions: MeetingSessions, rules: PdfRules | None = None) -> None:
        self._sessions = sessions
        self._store = sessions.store
        self._clock = sessions.clock
        self.rules = rules or PdfRules()

    def attach(
        self,
        actor: Actor,
        session_id: int,
        filename: str,
        content: bytes,
        kind: str,
        inspector: PdfInspector,
    ) -> Material:
        """Attach a PDF, judged by its bytes (through `inspector`), never by its name alone."""
        if kind not in MATERIAL_KINDS:
            raise Refusal(RefusalCode.MATERIAL_KIND_INVALID, kind=kind, kinds=MATERIAL_KINDS)
        name = filename.strip().replace("/", "_").replace("\\", "_")[:MAX_FILENAME]
        refused = check_filename(name)
        if refused:
            raise refused
        refused = check_pdf_size(len(content), self.rules)
        if refused:
            raise refused
        reading = inspector.read(content)
        if isinstance(reading, Refusal):
            raise reading
        info = judge_pdf(reading, self.rules)
        if isinstance(info, Refusal):
            raise info
        now = self._clock.now()
        with self._store.transaction() as tx:
            self._sessions.own_open(tx, actor, session_id)
            digest = hashlib.sha256(content).hexdigest()
            return tx.add_material(session_id, kind, name, content, info.pages, digest, now)

    def page_for_viewer(
        self, token: str, material_id: int, page: int, renderer: PageRenderer
    ) -> bytes:
        """A page of the session's material as an image, for the attendees' phones."""
        with self._store.transaction() as tx:
            session = tx.session_by_token(token)
            if session is None:
                raise Refusal(RefusalCode.MEETING_LINK_INVALID)
            expired = session.link_refusal(self._clock.now())
            if expired:
                raise expired
            found = tx.material_content(material_id)
        return _page(found, session.id, material_id, page, renderer)

    def page_for_screen(
        self, room_id: str, key: str, material_id: int, page: int, renderer: PageRenderer
    ) -> bytes:
        """A page of the running session's material as an image, for the room screen."""
        self._sessions.directory.check_link("screen", room_id, key)
        with self._store.transaction() as tx:
            session = tx.open_session(room_id)
            if session is None:
                raise Refusal(RefusalCode.MATERIAL_UNKNOWN, material=material_id)
            found = tx.material_content(material_id)
        return _page(found, session.id, material_id, page, renderer)

    def open(
        self, token: str, material_id: int | None, viewer: str, signed_in: bool
    ) -> tuple[Material, bytes] | None:
        """Record that `viewer` opened the session's materials; returns the file if one asked."""
        now = self._clock.now()
        with self._store.transaction() as tx:
            session = tx.session_by_token(token)
            if session is None:
                raise Refusal(RefusalCode.MEETING_LINK_INVALID)
            expired = session.link_refusal(now)
            if expired:
                raise expired
            found = None
            if material_id is not None:
                found = tx.material_content(material_id)
                if found is None or found[0].session_id != session.id:
                    raise Refusal(RefusalCode.MATERIAL_UNKNOWN, material=material_id)
            tx.add_open(session.id, material_id, viewer, signed_in, now)
            return found


def _page(
    found: tuple[Material, bytes] | None,
    session_id: int,
    material_id: int,
    page: int,
    renderer: PageRenderer,
) -> bytes:
    if found is None or found[0].session_id != session_id:
        raise Refusal(RefusalCode.MATERIAL_UNKNOWN, material=material_id)
    material, content = found
    if not 1 <= page <= material.pages:
        raise Refusal(RefusalCode.PAGE_OUT_OF_RANGE, pages=material.pages)
    return renderer.render(material.sha256, content, page)
