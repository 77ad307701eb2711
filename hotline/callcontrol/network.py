"""Carrying out a call control on the phone network, after the commit, on the dispatcher's pool.

Each function reads what the record asks for in its own short transaction, tells the network,
and records a refusal; none runs inside a request's transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import col, select

from hotline.auth.models import User
from hotline.callcontrol import service as control
from hotline.callcontrol import transfers
from hotline.callcontrol.models import (
    LIVE_PARTY_STATUSES,
    OPEN_TRANSFER_STATUSES,
    CallControl,
    CallParty,
    CallTransfer,
    PartyStatus,
    TransferStatus,
)
from hotline.calls.models import Call
from hotline.clock import Clock
from hotline.db import Database
from hotline.lines.models import Line
from hotline.routing import service as routing
from hotline.telephony.port import TelephonyPort

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Network:
    db: Database
    clock: Clock
    telephony: TelephonyPort

    def apply_mute(self, call_id: int) -> None:
        self._apply(call_id, "mute")

    def apply_hold(self, call_id: int) -> None:
        self._apply(call_id, "hold")

    def _apply(self, call_id: int, what: str) -> None:
        """Make the counselor's leg (mute) or the caller's leg (hold) match the record."""
        with self.db.session() as session:
            call = session.get(Call, call_id)
            row = session.exec(select(CallControl).where(CallControl.call_id == call_id)).first()
            if call is None or row is None:
                return
            conference = call.conference_sid or call.call_sid
            leg = call.counselor_call_sid if what == "mute" else call.call_sid
            muted, hold, lang = row.counselor_muted, row.caller_on_hold, call.language or "zh_CN"
        if leg is None:
            return
        try:
            if what == "mute":
                self.telephony.update_participant(conference=conference, leg_sid=leg, muted=muted)
            else:
                self.telephony.update_participant(
                    conference=conference,
                    leg_sid=leg,
                    hold=hold,
                    # The line's hold prompt and music, as a queued caller hears them.
                    hold_url=self.telephony.url(f"/twilio/voice/hold?lang={lang}&held=1"),
                )
        except Exception as error:
            log.warning("call %s: %s refused: %s", call_id, what, type(error).__name__)
            with self.db.session() as session:
                control.control_failed(
                    session=session, call_id=call_id, what=what, now=self.clock.now()
                )

    def dial_party(self, party_id: int) -> None:
        """Ring an added party from the line's number into the caller's conference."""
        with self.db.session() as session:
            party = session.get(CallParty, party_id)
            if party is None or party.status != PartyStatus.dialing or party.leg_sid:
                return
            call = session.get(Call, party.call_id)
            assert call is not None
            line = session.get(Line, call.line_id)
            assert line is not None
            to, from_, conference = party.number, line.number, call.call_sid
        try:
            leg = self.telephony.add_party(
                conference=conference,
                to=to,
                from_=from_,
                label=f"party:{party_id}",
                status_callback=self.telephony.url(f"/twilio/party/status?party_id={party_id}"),
            )
        except Exception as error:
            log.warning("party %s: dial refused: %s", party_id, type(error).__name__)
            with self.db.session() as session:
                control.party_dial_failed(
                    session=session,
                    party_id=party_id,
                    error=type(error).__name__,
                    now=self.clock.now(),
                )
            return
        with self.db.session() as session:
            session.execute(
                update(CallParty)
                .where(col(CallParty.id) == party_id, col(CallParty.leg_sid).is_(None))
                .values(leg_sid=leg)
            )
            current = session.get(CallParty, party_id, populate_existing=True)
            removed = current is not None and current.removed_at is not None
        if removed:  # taken out while the dial was in flight
            self.remove_party(party_id)

    def remove_party(self, party_id: int) -> None:
        """End a removed party's leg: deleted from the conference once in, cancelled while it
        rings. Its status callback then says it left."""
        with self.db.session() as session:
            party = session.get(CallParty, party_id)
            if party is None or party.leg_sid is None or party.status not in LIVE_PARTY_STATUSES:
                return  # not dialled yet: `dial_party` ends it once it has its CallSid
            call = session.get(Call, party.call_id)
            assert call is not None
            leg, status = party.leg_sid, party.status
            conference = call.conference_sid or call.call_sid
        try:
            if status == PartyStatus.connected:
                self.telephony.remove_participant(conference=conference, leg_sid=leg)
            else:
                self.telephony.hang_up(leg)
        except Exception as error:
            log.warning("party %s: removal refused: %s", party_id, type(error).__name__)

    # --- transfers ---------------------------------------------------------------------------

    def carry_out(self, moves: transfers.Moves) -> None:
        """A transfer's phone-network work, after its commit (the caller's hold first, so the
        caller never hears a consultation)."""
        for call_id in moves.hold:
            self.apply_hold(call_id)
        for leg in moves.end_leg:
            self.end_leg(leg)
        for party_id in moves.dial_party:
            self.dial_party(party_id)
        for transfer_id in moves.dial:
            self.dial_colleague(transfer_id)

    def dial_colleague(self, transfer_id: int) -> None:
        """Ring the colleague from the line's number into the caller's conference."""
        with self.db.session() as session:
            transfer = session.get(CallTransfer, transfer_id)
            if (
                transfer is None
                or transfer.status != TransferStatus.dialing
                or transfer.leg_sid
                or transfer.to_user_id is None
            ):
                return
            call = session.get(Call, transfer.call_id)
            user = session.get(User, transfer.to_user_id)
            assert call is not None and user is not None
            line = session.get(Line, call.line_id)
            assert line is not None
            # Their phone, or the browser phone if they chose it for this shift.
            to = routing.endpoint_for(session=session, user=user)
            from_, conference = line.number, call.call_sid
        try:
            leg = self.telephony.add_party(
                conference=conference,
                to=to,
                from_=from_,
                label=f"transfer:{transfer_id}",
                status_callback=self.telephony.url(
                    f"/twilio/transfer/status?transfer_id={transfer_id}"
                ),
            )
        except Exception as error:
            log.warning("transfer %s: dial refused: %s", transfer_id, type(error).__name__)
            with self.db.session() as session:
                moves = transfers.dial_failed(
                    session=session, transfer_id=transfer_id, now=self.clock.now()
                )
            self.carry_out(moves)
            return
        with self.db.session() as session:
            session.execute(
                update(CallTransfer)
                .where(col(CallTransfer.id) == transfer_id, col(CallTransfer.leg_sid).is_(None))
                .values(leg_sid=leg)
            )
            current = session.get(CallTransfer, transfer_id, populate_existing=True)
            over = current is not None and current.status not in OPEN_TRANSFER_STATUSES
            call_id = current.call_id if current is not None else 0
        if over:  # called off while the dial was in flight
            self.end_leg((call_id, leg))

    def end_leg(self, leg: tuple[int, str]) -> None:
        """End a leg in the caller's conference: removed once in, cancelled while it rings."""
        call_id, leg_sid = leg
        with self.db.session() as session:
            call = session.get(Call, call_id)
            if call is None:
                return
            conference = call.conference_sid or call.call_sid
        try:
            self.telephony.remove_participant(conference=conference, leg_sid=leg_sid)
        except Exception as error:
            log.info("leg not removed (%s): hanging it up", type(error).__name__)
            try:
                self.telephony.hang_up(leg_sid)
            except Exception as again:
                log.warning("leg %s not ended: %s", leg_sid, type(again).__name__)
