"""Every string the console's script shows, translated on the server for the page's locale.

`js_strings(_)` goes into the page's `#console-config` block as `strings`; `console.js` never
holds user-visible text of its own. Each value is a `_("...")` literal so pybabel extracts it.
"""

from __future__ import annotations

from collections.abc import Callable


def js_strings(_: Callable[[str], str]) -> dict[str, str]:
    """The console script's strings, keyed by the names `console.js` uses."""
    return {
        # Connection indicator.
        "conn_connecting": _("Connecting…"),
        "conn_connected": _("Connected"),
        "conn_reconnecting": _("Reconnecting…"),
        "conn_offline": _("Offline"),
        # Counselor states (the agent "state" of a snapshot).
        "state_loading": _("Loading…"),
        "state_offline": _("Signed off"),
        "state_available": _("Available"),
        "state_offered": _("Call offered"),
        "state_on_call": _("On a call"),
        "state_wrap_up": _("Wrap-up"),
        "state_chatting": _("In conversations"),
        "state_break": _("On a break"),
        "state_away": _("Away"),
        "state_unknown": _("Unknown status"),
        # Why a counselor is on a break or away.
        "reason_meal": _("Meal"),
        "reason_rest": _("Rest"),
        "reason_training": _("Training"),
        "reason_other": _("Other"),
        "reason_connect_failed": _("Your phone could not be reached."),
        "reason_missed_offers": _("Several call offers went unanswered."),
        "reason_console_gone": _("Your console was closed, so calls stopped being offered to you."),
        "reason_dialback": _("The line is calling someone back for you."),
        # What the main area says when there is no offer, call or wrap-up.
        "idle_loading": _("Loading your status…"),
        "idle_offline": _("You are signed off. Go available when you are ready to take calls."),
        "idle_available": _(
            "Waiting for calls. A soft tone will sound when a call is offered. Keep this page open."
        ),
        "idle_break": _("You are on a break. Go available when you are ready to take calls."),
        "idle_away": _(
            "You were set away, so no calls are offered to you. "
            "Go available when you are ready to take calls."
        ),
        "idle_busy": _("Your status is being updated."),
        "idle_chatting": _(
            "You are in text conversations. More are offered to you while you have room."
        ),
        # Text conversations (conversations.js).
        "channel_voice": _("Phone call"),
        "channel_webchat": _("Web chat"),
        "channel_sms": _("SMS"),
        "channel_wechat": _("WeChat"),
        "offer_title_voice": _("Incoming call"),
        "offer_title_text": _("Incoming conversation"),
        "accept_voice": _("Accept call"),
        "accept_text": _("Accept conversation"),
        "conversation_label": _("{channel}, {line}"),
        "conversation_unread": _("{count} new"),
        "conversation_danger": _("In danger now"),
        "conversation_ended": _("Ended: write the note, then free this place."),
        "conversation_live": _("Live conversation"),
        "sender_person": _("Person"),
        "sender_line": _("The line (automatic)"),
        "sender_counselor": _("You"),
        "sender_supervisor": _("Supervisor (only you see this)"),
        # A conversation a crisis worker joined on an escalation (hotline/escalation/).
        "sender_responder": _("Crisis worker"),
        "sender_counselor_other": _("Counselor"),
        "conversation_role_responder": _("You joined as the crisis worker"),
        "conversation_responder_live": _(
            "You are in this conversation as the crisis worker: the person reads what you write."
        ),
        "conversation_responder_ended": _("The person is no longer in this conversation."),
        "conversation_responder_end_confirm": _(
            "End this conversation? The person is told it has ended."
        ),
        "delivery_queued": _("Sending…"),
        "delivery_sent": _("Sent"),
        "delivery_delivered": _("Delivered"),
        "delivery_failed": _("Not delivered"),
        "danger_why_first": _(
            "Why first: the person wrote “{phrase}”, so this conversation was answered first."
        ),
        "conversation_end_confirm": _(
            "End this conversation? The person is told it has ended and cannot write to you "
            "in it any more."
        ),
        "transcript_failed": _("The conversation could not be loaded. Trying again…"),
        "reply_failed": _("Your reply was not sent. Try again."),
        "call_them_confirm": _(
            "Has the person agreed, in this conversation, to be called? The line will call "
            "them from its own number and put you through; you will not see their number."
        ),
        "call_them_placed": _("The line is calling them. Your phone rings when they answer."),
        "call_offer_confirm": _(
            "Offer the person a phone call? They are asked for their number (on their chat "
            "page, or by a WeChat message); the line calls them from its own number once they "
            "give it, and you will not see it."
        ),
        "call_offer_sent": _(
            "The person is asked for their number. The line calls them once they give it."
        ),
        "quick_none": _("This line has no quick replies."),
        "quick_failed": _("The quick replies could not be loaded."),
        "quick_inserted": _("Inserted into your reply: read it, change it if needed, then send."),
        # Caller languages.
        "lang_zh_CN": _("Chinese"),
        "lang_en": _("English"),
        "lang_none": _("Not chosen"),
        # A new offer: screen-reader announcement and the browser tab's title.
        "announce_offer": _("Incoming call. Accept or decline it."),
        "announce_offer_danger": _(
            "Incoming call. The caller is in danger now. Accept or decline it."
        ),
        "title_offer": _("Incoming call"),
        "title_offer_danger": _("Incoming call: caller in danger now"),
        # The live call.
        "call_connecting": _("Connecting to your phone…"),
        "call_connected": _("Call connected"),
        # Errors raised by the page itself.
        "error_generic": _("Something went wrong. Please try again."),
        "error_forbidden": _(
            "The server refused this console's connection. Reload the page to try again."
        ),
        # Shown in place of a time that is not known.
        "no_value": _("—"),
        # ---- call note (note.js) ----
        # Save status; {time} is the local time, hh:mm:ss.
        "note_loading": _("Loading the note…"),
        "note_load_failed": _("The note could not be loaded. Trying again…"),
        "note_saving": _("Saving…"),
        "note_saved": _("Saved {time}"),
        "note_save_failed": _("Not saved — will retry"),
        "note_save_invalid": _("Not saved: correct the marked fields"),
        "note_submitting": _("Submitting…"),
        "note_submitted": _("Submitted {time}"),
        # Risk level and ratings.
        "note_not_rated": _("Not rated"),
        "note_level_pending": _("Not enough answers yet"),
        "note_level_unconfirmed": _("Not confirmed yet. Check the level, then press Confirm."),
        "note_level_confirmed": _("Confirmed: {level}"),
        "note_override_required": _("Give a reason for choosing a different level."),
        # {time} is hh:mm, when the escalation was raised.
        "note_escalation_at": _("at {time}"),
        # Submitting.
        "note_submit_invalid": _(
            "The note is not complete yet. The fields that need attention are marked."
        ),
        "note_submit_failed": _(
            "The note could not be submitted. Nothing you wrote is lost. Try again in a moment."
        ),
        "note_field_invalid": _("Check this field."),
        # A quick (non-counselling) call type submits the note: {type} is its name.
        "note_quick_confirm": _(
            "Record this call as “{type}” and submit the note? A submitted note cannot be changed."
        ),
        # The submitted note, read-only.
        "note_yes": _("Yes"),
        "note_no": _("No"),
        "note_not_asked": _("Not asked"),
        "note_none": _("None"),
        "note_followup_not_wanted": _("Not wanted"),
        "note_followup_consent_yes": _("The caller agreed to be called back"),
        "note_followup_consent_no": _("No consent to call back"),
        # Addenda.
        "note_addendum_empty": _("Write the addendum first."),
        "note_addendum_added": _("Addendum added."),
        "note_addendum_failed": _("The addendum could not be saved. Your text is kept. Try again."),
        # Previous calls from the same caller.
        "note_history_no_summary": _("No summary"),
        "note_history_no_level": _("Level not recorded"),
        "note_referral_green": _("Green channel"),
        "note_history_followup": _(
            "A follow-up call is owed to this caller (due {due}). Submitting this note as a"
            " counselling call completes it."
        ),
        "note_history_followup_priority": _(
            "A priority follow-up call is owed to this caller (due {due}). Submitting this note"
            " as a counselling call completes it."
        ),
        # The crisis level on the live call (same wording as the note's levels).
        "level_none": _("No suicidal ideation"),
        "level_low": _("Low risk"),
        "level_moderate": _("Moderate risk"),
        "level_high": _("High risk"),
        "level_imminent": _("Imminent danger"),
        # Crisis alerts (escalations paged to this person).
        "alert_title": _("Crisis alert"),
        "alert_paging": _("Paging the crisis team"),
        "alert_acknowledged": _("Acknowledged"),
        "alert_joined": _("Responder is on the call"),
        "alert_took_over": _("Responder has taken over the call"),
        "alert_called_back": _("Responder called the caller back"),
        # The same, for a text conversation (SMS, web chat, WeChat): joined in the console.
        "alert_joined_text": _("Crisis worker is in the conversation"),
        "alert_took_over_text": _("Crisis worker has taken over the conversation"),
        "alert_join_call": _("Join the call"),
        "alert_join_text": _("Join the conversation"),
        "alert_take_over_call": _("Take over the call"),
        "alert_take_over_text": _("Take over the conversation"),
        "alert_text_ended": _("The person left the conversation at {time}."),
        "rescue_none": _("No emergency services requested yet."),
        "rescue_requested": _("Emergency services requested: waiting for dispatch."),
        "rescue_dispatched": _("Emergency services dispatched: keep the caller on the line."),
        "rescue_confirmed": _("Emergency services have reached the caller."),
        "rescue_failed": _("Emergency services could not reach the caller."),
        "rescue_keep_on_line": _(
            "Keep the caller on the line until emergency services reach them."
        ),
        "rescue_note_needed": _("Say what was done next when the rescue failed."),
        "alert_unacknowledged": _("Nobody acknowledged: supervisor alarmed"),
        # {time} is hh:mm on the line's clock.
        "alert_call_ended": _("The caller hung up at {time}: there is no call to join."),
        "alert_call_back_followup": _(
            "A follow-up call is scheduled for this caller: call them back from the follow-up list."
        ),
        "alert_call_back_callback_number": _(
            "The counselor's note has a number to call the caller back: ask the counselor "
            "or a supervisor."
        ),
        "alert_call_back_none": _("The caller left no number to call them back."),
        # After "Call the caller back as the line" (hotline/dialback/): the number stays hidden.
        "alert_dial_back_requested": _(
            "The line is calling the caller back: your phone rings when they answer."
        ),
        "escalate_reason_needed": _("Say in a few words why the crisis team is needed."),
        "escalate_done": _("The crisis team is being paged. Stay with the caller."),
        # Alerts' sound and desktop notifications (attention.js).
        "sound_on": _("Alert sound: on"),
        "sound_off": _("Alert sound: off"),
        "notify_blocked": _(
            "Desktop alerts are blocked for this site: allow notifications in the browser's "
            "settings."
        ),
        "notify_escalation_title": _("Crisis alert"),
        # {level} is the crisis level, {line} the line's name.
        "notify_escalation_body": _("{level} on {line}. Acknowledge in the console."),
        "notify_danger_title": _("A caller in danger now is waiting"),
        # The counselor's help request to the supervisor on duty.
        "help_requested": _("A supervisor has been asked to help. Stay with the caller."),
        # {name} is the supervisor who took the request.
        "help_acknowledged": _("{name} is coming to help."),
        # On a supervisor's console: {name} is the counselor, {line} the line's name.
        "help_alert": _("{name} asks for your help on {line}."),
        # On a supervisor's console: {line} is the line's name.
        "danger_waiting": _("A caller in danger now is waiting on {line}."),
        # On a supervisor's console: high-risk callers whose follow-up call is past due.
        "priority_followups_overdue": _("Priority follow-ups overdue: {count}. See who is late"),
        # On a supervisor's console: callers' voicemails nobody has handled yet.
        "voicemails_waiting": _("Voicemails not yet handled: {count}. Listen and act"),
        # Before going available (or finishing a wrap-up) with notes not yet submitted.
        "unfinished_confirm": _(
            "Notes not yet submitted: {count}. Go available and take calls anyway?"
        ),
        # Follow-up calls due now on the counselor's lines, theirs or nobody's yet.
        "followups_due": _("Follow-up calls due on your lines: {count}. Open the list"),
        "followups_due_priority": _(
            "Follow-up calls due on your lines: {count}, {priority} of them priority. Open the list"
        ),
        # Control of the live call (callcontrol.js).
        "control_mute": _("Mute"),
        "control_unmute": _("Unmute"),
        "control_hold": _("Hold the caller"),
        "control_resume": _("Resume the call"),
        "control_muted": _("You are muted: the caller cannot hear you."),
        "control_on_hold": _("The caller is on hold and hears the line's hold music."),
        "control_muted_on_hold": _("You are muted and the caller is on hold."),
        "control_failed": _("The phone network refused that. Please try again."),
        "party_dialing": _("Dialling…"),
        "party_ringing": _("Ringing…"),
        "party_connected": _("In the call"),
        "party_left": _("Left the call"),
        "party_failed": _("Not reached"),
        "party_removing": _("Removing…"),
        "party_partner": _("Partner line"),
        "party_choose_resource": _("Choose a resource first."),
        # Transferring the live call (transfer.js).
        "transfer_choose": _("Choose a colleague first."),
        "transfer_nobody": _("Nobody can take a call now."),
        "role_counselor": _("counselor"),
        "role_crisis": _("crisis team, on call"),
        "role_supervisor": _("supervisor on duty"),
        "transfer_out_dialing": _("Ringing {name}… the caller is on hold."),
        "transfer_out_consulting": _(
            "You are talking with {name}; the caller is on hold and cannot hear you."
        ),
        "transfer_out_offered": _("The call is offered to {name}. Waiting for their answer…"),
        "transfer_out_partner": _("Dialling the partner line…"),
        "transfer_cancel": _("Call off the transfer"),
        "transfer_in_consult": _("Consult from {name} about a call"),
        "transfer_in_offer": _("{name} is transferring a call to you"),
        "transfer_in_dialing": _("Your phone is ringing: answer it to join."),
        "transfer_in_consulting": _("You are in the consultation; the caller is on hold."),
        "transfer_in_leave": _("Leave the consultation"),
        "transfer_in_decline": _("Decline"),
        "transfer_nothing_shared": _("Nothing shared."),
        # After a high or imminent contact's note is submitted: the debrief offer.
        "debrief_offer": _("That was a hard call. Would you like a debrief?"),
        "debrief_yes": _("Yes, ask for a debrief"),
        "debrief_no": _("No, thanks"),
        "debrief_sent": _("Your debrief request was sent to the supervisor on duty."),
        "debrief_failed": _(
            "The debrief request could not be sent. Try again from My supervision."
        ),
        # The browser phone (phone.js).
        "phone_starting": _("Starting the browser phone…"),
        "phone_ready": _("Ready: calls you accept ring here."),
        "phone_ringing": _("Ringing: answer to talk to the caller."),
        # A supervisor's leg into a call they chose to listen to, whisper on or join (the board).
        "phone_ringing_monitor": _("Ringing: answer to join the call you chose on the live board."),
        "phone_connected": _("Connected"),
        "phone_muted": _("Connected, muted: the caller cannot hear you."),
        "phone_reconnecting": _("Connection lost, reconnecting…"),
        "phone_off": _("Calls ring on your own phone."),
        "phone_failed": _("The browser phone could not start. Please try again."),
        "phone_no_microphone": _(
            "The browser may not use the microphone. Allow it, or choose your own phone."
        ),
        "phone_no_sdk": _("The browser phone is missing from this page. Reload it."),
        "phone_unmute": _("Unmute"),
        "phone_mute": _("Mute"),
        "phone_default_device": _("Default"),
    }
