"""Room rows read back as the domain's values: bookings, sessions, pairing codes, statuses, and
the material columns read without the file's bytes."""

from __future__ import annotations

from server.adapters.tables_rooms import (
    RoomBookingRow,
    RoomMaterialRow,
    RoomPairingCodeRow,
    RoomSessionRow,
    RoomStatusRow,
)
from server.domain.meetings import Booking, MeetingSession, RoomStatus
from server.services.room_ports import PairingCode

MATERIAL_COLUMNS = (
    RoomMaterialRow.id,
    RoomMaterialRow.session_id,
    RoomMaterialRow.kind,
    RoomMaterialRow.filename,
    RoomMaterialRow.size,
    RoomMaterialRow.pages,
    RoomMaterialRow.sha256,
    RoomMaterialRow.uploaded_at,
)


def booking_of(row: RoomBookingRow) -> Booking:
    return Booking(
        id=row.id,
        uid=row.uid,
        room=row.room,
        title=row.title,
        host=row.host,
        host_name=row.host_name,
        host_name_ja=row.host_name_ja,
        department=row.department,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        series=row.series,
        active=row.active,
        status=row.status,
        status_reason=row.status_reason,
        status_at=row.status_at,
        created_at=row.created_at,
        sequence=row.sequence,
    )


def session_of(row: RoomSessionRow) -> MeetingSession:
    return MeetingSession(
        id=row.id,
        room=row.room,
        booking_id=row.booking_id,
        host=row.host,
        host_name=row.host_name,
        host_name_ja=row.host_name_ja,
        department=row.department,
        title=row.title,
        started_at=row.started_at,
        ended_at=row.ended_at,
        end_reason=row.end_reason,
        token=row.token,
        current_material=row.current_material,
        current_page=row.current_page,
    )


def code_of(row: RoomPairingCodeRow) -> PairingCode:
    return PairingCode(row.id, row.room, row.code, row.issued_at, row.expires_at, row.session_id)


def status_of(row: RoomStatusRow) -> RoomStatus:
    return RoomStatus(
        room=row.room,
        display_connected=row.display_connected,
        casting=row.casting,
        cast_changed_at=row.cast_changed_at,
        occupied=row.occupied,
        occupancy_changed_at=row.occupancy_changed_at,
    )
