"""What the caller hears, built as TwiML with the twilio library, in the caller's language."""

from __future__ import annotations

from collections.abc import Mapping

from twilio.twiml.voice_response import Gather, VoiceResponse

from hotline.i18n import TWILIO_SAY_LANGUAGE, gettext_for
from hotline.lines.models import Line

DANGER_KEY = "9"
# Where a caller the line cannot take is sent: police, ambulance, the national crisis line.
POLICE, AMBULANCE, NATIONAL_CRISIS_LINE = "110", "120", "12356"


def N_(message: str) -> str:
    """Marks a string for extraction; it is translated where it is used."""
    return message


LANGUAGE_NAMES = {"zh_CN": N_("Mandarin"), "en": N_("English")}
HOLD_PAUSE_S = 20
CALLBACK_KEY = "1"  # a line's `callback_key` unless set (hotline.lines.prompts)
# (kind, language) -> the address of a line's uploaded recording ("greeting", "hold"), and
# ("music", "") for its hold music: played instead of the spoken prompt.
Audio = Mapping[tuple[str, str], str]
NO_AUDIO: Audio = {}


def _say(response: VoiceResponse | Gather, text: str, lang: str) -> None:
    response.say(text, language=TWILIO_SAY_LANGUAGE.get(lang, "cmn-CN"))


def _say_or_play(response: VoiceResponse | Gather, text: str, lang: str, url: str | None) -> None:
    if url:
        response.play(url)
    else:
        _say(response, text, lang)


def default_greeting(line: Line, lang: str) -> str:
    _ = gettext_for(lang)
    return _("Welcome to the %(name)s. You are not alone; we are here to listen.") % {
        "name": line.name
    }


def danger_prompt(line: Line, lang: str) -> str:
    _ = gettext_for(lang)
    key = line.danger_key or DANGER_KEY
    return line.danger_prompts.get(lang) or _("If you are in danger right now, press %(key)s.") % {
        "key": key
    }


def consent_prompt(line: Line, lang: str) -> str:
    _ = gettext_for(lang)
    return line.consent_prompts.get(lang) or _(
        "This call is recorded to help us keep the quality of our service. If you do not "
        "want it recorded, tell the counselor."
    )


def hold_prompt(line: Line | None, lang: str) -> str:
    _ = gettext_for(lang)
    custom = line.hold_prompts.get(lang) if line is not None else None
    return custom or _(
        "Thank you for waiting. A counselor will be with you as soon as possible. "
        "Please stay on the line."
    )


def counselor_dropped(lang: str) -> str:
    """Said once to a caller whose counselor's phone (or browser) dropped mid-call."""
    _ = gettext_for(lang)
    return _(
        "We lost the connection to your counselor. Please stay on the line: we are "
        "connecting you again."
    )


def line_language(line: Line, lang: str | None) -> str:
    return lang if lang and lang in line.languages else (line.languages or ["zh_CN"])[0]


def not_in_service() -> str:
    response = VoiceResponse()
    for lang in ("zh_CN", "en"):
        _ = gettext_for(lang)
        _say(response, _("This number is not in service."), lang)
    response.hangup()
    return str(response)


def closed(line: Line, lang: str, voicemail_url: str | None = None) -> str:
    """Outside opening hours, as the line's `after_hours_action` says: the partner line (the
    emergency numbers without one), a voicemail, or the emergency numbers."""
    _ = gettext_for(lang)
    response = VoiceResponse()
    _say(response, _("This line is closed now. If you are in danger, call 110 or 120."), lang)
    action = line.after_hours_action
    if action == "forward" and line.partner_number:
        _say(response, _("We are transferring you to a partner hotline."), lang)
        response.dial(line.partner_number)
    elif action == "voicemail" and voicemail_url:
        _say(
            response,
            _("Please leave a message and a way to reach you after the tone."),
            lang,
        )
        response.record(max_length=180, play_beep=True, action=voicemail_url, method="POST")
    else:
        _say_emergency_numbers(response, [lang])
    response.hangup()
    return str(response)


def blocked(line: Line) -> str:
    """A blocked caller is never left in silence: the emergency numbers, in each of the line's
    languages, and then the call ends."""
    response = VoiceResponse()
    _say_emergency_numbers(response, line.languages)
    response.hangup()
    return str(response)


def fallback(partner_number: str | None, languages: list[str]) -> str:
    """What a caller hears when this deployment cannot take the call (database down, overload):
    the partner line, and the emergency numbers if it does not answer or there is none. Needs
    nothing but the two arguments, so it can also be hosted as static TwiML."""
    response = VoiceResponse()
    if partner_number:
        lang = (languages or ["zh_CN"])[0]
        _ = gettext_for(lang)
        _say(response, _("We are transferring you to a partner hotline."), lang)
        response.dial(partner_number)
    _say_emergency_numbers(response, languages)
    response.hangup()
    return str(response)


def _say_emergency_numbers(response: VoiceResponse, languages: list[str]) -> None:
    for lang in languages or ["zh_CN"]:
        _ = gettext_for(lang)
        text = _(
            "This hotline cannot take your call now. If you are in danger, call %(police)s for "
            "the police or %(ambulance)s for an ambulance. You can also call the national "
            "psychological assistance line on %(crisis_line)s."
        )
        numbers = {"police": POLICE, "ambulance": AMBULANCE, "crisis_line": NATIONAL_CRISIS_LINE}
        _say(response, text % numbers, lang)


def welcome(line: Line, gather_url: str, audio: Audio = NO_AUDIO) -> str:
    """Greeting and the menu: in each of the line's languages in order, its greeting (said with
    that language's voice, or its recording played) and the danger key, so that a caller who
    speaks only the second language understands before choosing; then the language choice where
    the line has several. A key press interrupts at any point (the caller in danger need not wait).
    """
    response = VoiceResponse()
    gather = Gather(
        num_digits=1, action=gather_url, method="POST", timeout=5, action_on_empty_result=True
    )
    for lang in line.languages or [line_language(line, None)]:
        greeting = line.greetings.get(lang) or default_greeting(line, lang)
        _say_or_play(gather, greeting, lang, audio.get(("greeting", lang)))
        _say(gather, danger_prompt(line, lang), lang)
    if len(line.languages) > 1:
        for index, lang in enumerate(line.languages, start=1):
            _ = gettext_for(lang)
            text = _("For %(language)s, press %(key)s.")
            name = _(LANGUAGE_NAMES.get(lang, lang))
            _say(gather, text % {"language": name, "key": index}, lang)
    response.append(gather)
    response.redirect(gather_url, method="POST")
    return str(response)


def callback_key(line: Line) -> str:
    """The key that asks for a call back in the "callback" overflow."""
    return line.callback_key or CALLBACK_KEY


def choice(line: Line, digits: str) -> tuple[str, bool]:
    """The caller's key press -> (language, in danger)."""
    if digits == (line.danger_key or DANGER_KEY):
        return line_language(line, None), True
    if digits.isdigit() and 1 <= int(digits) <= len(line.languages):
        return line.languages[int(digits) - 1], False
    return line_language(line, None), False


def queue(
    *,
    call_sid: str,
    lang: str,
    in_danger: bool,
    hold_url: str,
    conference_status_url: str,
    after_url: str,
    record: bool,
    recording_status_url: str | None = None,
    consent: str | None = None,
) -> str:
    """Into the caller's own conference, to wait there (hold prompts) until a counselor joins.
    A recorded call first says `consent` (the line's consent prompt)."""
    _ = gettext_for(lang)
    response = VoiceResponse()
    if record and consent:
        _say(response, consent, lang)
    if in_danger:
        _say(
            response,
            _(
                "We are putting you through first. If you are hurt or in immediate "
                "danger, call 120 or 110 now."
            ),
            lang,
        )
    _say(response, _("We are connecting you to a counselor. Please stay on the line."), lang)
    dial = response.dial(action=after_url, method="POST")
    dial.conference(
        call_sid,
        start_conference_on_enter=False,
        end_conference_on_exit=True,
        beep=False,
        wait_url=hold_url,
        wait_method="POST",
        status_callback=conference_status_url,
        status_callback_event="start end join leave",
        status_callback_method="POST",
        record="record-from-start" if record else None,
        # Twilio posts the finished recording here (its URL is kept; playback is proxied).
        recording_status_callback=recording_status_url if record else None,
        recording_status_callback_event="completed" if record else None,
        recording_status_callback_method="POST" if record else None,
    )
    return str(response)


def hold(
    line: Line | None,
    lang: str,
    *,
    audio: Audio = NO_AUDIO,
    announcement: list[str] | None = None,
    then: str | None = None,
) -> str:
    """One pass of the wait loop (Twilio fetches it again when it ends): the caller's place and
    expected wait if announced, the hold prompt, then the music (or a pause). Without music the
    pass lasts the line's announcement interval, so the place is said every N seconds; with
    music it is said after each play of it. `then`: the address of the next pass, if another."""
    response = VoiceResponse()
    for text in announcement or []:
        _say(response, text, lang)
    _say_or_play(response, hold_prompt(line, lang), lang, audio.get(("hold", lang)))
    music = audio.get(("music", "")) or (line.hold_music_url if line is not None else None)
    if music:
        response.play(music)
    elif line is not None and line.announce_position:
        response.pause(length=line.announce_every_s)
    else:
        response.pause(length=HOLD_PAUSE_S)
    if then:
        response.redirect(then, method="POST")
    return str(response)


def announcement(lang: str, position: int | None, wait_s: int | None) -> list[str]:
    """ "You are number K in the queue", and the expected wait when it is known."""
    if position is None:
        return []
    _ = gettext_for(lang)
    said = [_("You are number %(position)s in the queue.") % {"position": position}]
    if wait_s is not None:
        minutes = max(1, round(wait_s / 60))
        said.append(_("The expected wait is about %(minutes)s minutes.") % {"minutes": minutes})
    return said


def overflow(line: Line, lang: str, voicemail_url: str, callback_url: str | None = None) -> str:
    _ = gettext_for(lang)
    response = VoiceResponse()
    if line.overflow_action == "callback" and callback_url:
        gather = Gather(
            num_digits=1,
            action=callback_url,
            method="POST",
            timeout=8,
            action_on_empty_result=True,
        )
        text = _(
            "All our counselors are busy. To be called back on this number as soon as a "
            "counselor is free, press %(key)s. To leave a message instead, stay on the line. "
            "If you are in danger, call 110 or 120."
        )
        _say(gather, text % {"key": callback_key(line)}, lang)
        response.append(gather)
        response.redirect(callback_url, method="POST")
        return str(response)
    if line.overflow_action == "forward" and line.partner_number:
        _say(
            response,
            _(
                "All our counselors are busy. We are transferring you to a partner "
                "hotline. If you are in danger, call 110 or 120."
            ),
            lang,
        )
        response.dial(line.partner_number)
    else:
        _say(
            response,
            _(
                "All our counselors are busy. Please leave a message and a way to "
                "reach you after the tone. If you are in danger, call 110 or 120."
            ),
            lang,
        )
        response.record(max_length=180, play_beep=True, action=voicemail_url, method="POST")
    _say(response, _("Thank you for calling. Goodbye."), lang)
    response.hangup()
    return str(response)


def voicemail_prompt(lang: str, voicemail_url: str) -> str:
    """Leave a message (the "callback" overflow, when the caller did not ask for a call back)."""
    _ = gettext_for(lang)
    response = VoiceResponse()
    _say(
        response,
        _(
            "Please leave a message and a way to reach you after the tone. If you are in "
            "danger, call 110 or 120."
        ),
        lang,
    )
    response.record(max_length=180, play_beep=True, action=voicemail_url, method="POST")
    _say(response, _("Thank you for calling. Goodbye."), lang)
    response.hangup()
    return str(response)


def callback_requested(lang: str) -> str:
    _ = gettext_for(lang)
    response = VoiceResponse()
    _say(
        response,
        _(
            "Thank you. A counselor will call you back on this number as soon as possible. "
            "If you are in danger, call 110 or 120. Goodbye."
        ),
        lang,
    )
    response.hangup()
    return str(response)


def goodbye(lang: str) -> str:
    _ = gettext_for(lang)
    response = VoiceResponse()
    _say(response, _("Thank you for calling. Goodbye."), lang)
    response.hangup()
    return str(response)


def empty() -> str:
    return str(VoiceResponse())


def hang_up() -> str:
    """End the call at once, saying nothing (an answering machine picked up a call back)."""
    response = VoiceResponse()
    response.hangup()
    return str(response)
