"""The engine's conversational behaviour, through the real service on the in-memory store."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import FixedClock
from bot.flow import Flow
from tests.conftest import Chat

QUESTIONS = {
    "need": "What brings you here today? What are you hoping to solve?",
    "timeline": "When would you like to have a solution in place?",
    "budget": "Do you have a budget in mind for this, for example per month or per year?",
    "authority": "What's your role in choosing a solution like this?",
}


async def test_opening_greets_and_asks_the_first_question(chat: Chat, flow: Flow) -> None:
    assert await chat.open() == [flow.spec.say.greeting, QUESTIONS["need"]]
    assert await chat.open() == []  # idempotent: a reconnecting widget is not greeted twice


async def test_three_facts_in_one_message_fill_three_slots_and_are_never_asked(chat: Chat) -> None:
    await chat.open()
    await chat.say("Our SDRs waste hours on leads that never buy")
    replies = await chat.say("I'm the COO, we have $75k and need it before March")
    assert (await chat.value("budget"))["amount"] == 75000  # type: ignore[index]
    assert (await chat.value("authority"))["level"] == "decision_maker"  # type: ignore[index]
    assert (await chat.value("timeline"))["end"][:7] in ("2027-03", "2027-04")  # type: ignore[index]
    asked = " ".join(chat.lines)
    assert QUESTIONS["budget"] not in asked
    assert QUESTIONS["authority"] not in asked
    assert replies[-1] != QUESTIONS["timeline"]


async def test_unreadable_answer_is_rephrased_then_recorded_unknown(chat: Chat, flow: Flow) -> None:
    await chat.open()
    await chat.say("We need to qualify inbound leads faster")
    question = flow.questions["timeline"]
    replies = await chat.say("purple elephants")
    assert replies == [question.rephrase[0]]
    replies = await chat.say("more purple elephants")
    assert replies[0] == flow.spec.say.unknown_ack
    assert replies[-1] == QUESTIONS["budget"]
    assert await chat.value("timeline") == "unknown"


async def test_rephrased_question_keeps_its_quick_replies(chat: Chat) -> None:
    await chat.open()
    await chat.say("We need to qualify inbound leads faster")
    await chat.say("hmm")
    transcript = await chat.service.store.transcript(chat.key)
    assert [q.label for q in transcript[-1].quick_replies] == [
        "ASAP",
        "Within 3 months",
        "Within a year",
        "Just researching",
    ]


async def test_refusal_is_recorded_and_not_asked_again(chat: Chat, flow: Flow) -> None:
    await chat.open()
    await chat.say("We need to qualify inbound leads faster")
    await chat.say("within 3 months")
    replies = await chat.say("I'd rather not say")
    assert replies == [flow.spec.say.refusal_ack, QUESTIONS["authority"]]
    assert await chat.value("budget") == "refused"


async def test_correction_supersedes_a_slot_asked_earlier(chat: Chat) -> None:
    await chat.open()
    await chat.say("We need to qualify inbound leads faster")
    await chat.say("next quarter")
    await chat.say("about $40k a year")
    replies = await chat.say("sorry, I meant 100k")
    assert (await chat.value("budget"))["amount"] == 100000  # type: ignore[index]
    assert any("100,000" in line for line in replies)
    log = await chat.service.store.evidence_log(chat.key)
    assert [e.value["amount"] for e in log if e.slot == "budget"] == [40000, 100000]


async def test_invalid_correction_keeps_the_old_value(chat: Chat, flow: Flow) -> None:
    await chat.open()
    await chat.say("We need to qualify inbound leads faster")
    await chat.say("next quarter")
    await chat.say("about $40k a year")
    replies = await chat.say("sorry, I meant banana")
    assert (await chat.value("budget"))["amount"] == 40000  # type: ignore[index]
    assert replies[0] == flow.spec.say.correction_invalid.format(value="$40,000 a year")


async def test_asking_for_a_person_hands_off_at_any_point(chat: Chat, flow: Flow) -> None:
    await chat.open()
    replies = await chat.say("can I talk to a person?")
    assert replies == [flow.spec.handoff.message]
    snap = await chat.snapshot()
    assert (snap.owner, snap.state) == ("queued", "handoff")
    assert await chat.say("hello?") == [flow.spec.handoff.waiting]
    assert await chat.say("anyone?") == []


async def test_reaching_sql_hands_off(chat: Chat, flow: Flow) -> None:
    await chat.open()
    await chat.say("We waste hours qualifying leads by hand")
    replies = await chat.say("I'm the CTO, budget is $60k a year and we need it within 2 months")
    assert replies[-1] == flow.spec.handoff.message
    assert (await chat.snapshot()).stage == "SQL"
    history = await chat.service.store.stage_history(chat.key)
    assert history[-1].stage == "SQL"
    assert "SQL" in history[-1].reason


async def test_opt_out_silences_the_bot_until_the_prospect_starts_again(
    chat: Chat, flow: Flow
) -> None:
    await chat.open()
    assert await chat.say("stop") == [flow.spec.say.opted_out]
    assert (await chat.snapshot()).opted_out
    assert await chat.say("what about pricing?") == []
    replies = await chat.say("start")
    assert replies[0] == flow.spec.say.resumed
    assert replies[-1] == QUESTIONS["need"]
    assert not (await chat.snapshot()).opted_out


async def test_restart_forgets_answers_and_asks_again(chat: Chat, flow: Flow) -> None:
    await chat.open()
    await chat.say("We need to qualify inbound leads faster")
    replies = await chat.say("start over")
    assert replies == [flow.spec.say.restart, QUESTIONS["need"]]
    assert await chat.value("need") == "retracted"


async def test_help_explains_and_repeats_the_question(chat: Chat, flow: Flow) -> None:
    await chat.open()
    assert await chat.say("help") == [flow.spec.say.help.strip(), QUESTIONS["need"]]


async def test_idle_nudges_once_then_closes(chat: Chat, clock: FixedClock, flow: Flow) -> None:
    await chat.open()
    await chat.say("We need to qualify inbound leads faster")
    assert await chat.service.tick() == 0
    clock.advance(timedelta(minutes=flow.spec.idle.nudge_after_minutes, seconds=1))
    assert await chat.service.tick() == 1
    transcript = await chat.service.store.transcript(chat.key)
    assert transcript[-1].text == flow.spec.say.nudge
    assert await chat.service.tick() == 0  # one nudge only
    clock.advance(timedelta(minutes=flow.spec.idle.close_after_minutes, seconds=1))
    assert await chat.service.tick() == 1
    transcript = await chat.service.store.transcript(chat.key)
    assert transcript[-1].text == flow.spec.say.closed
    assert (await chat.snapshot()).state == "closed"
    replies = await chat.say("back again, sorry")
    assert replies[0] == flow.spec.say.welcome_back


async def test_duplicate_delivery_is_a_no_op(chat: Chat) -> None:
    await chat.open()
    first = await chat.say("We need to qualify inbound leads faster", external_id="dup-1")
    assert first
    assert await chat.say("We need to qualify inbound leads faster", external_id="dup-1") == []
    texts = [m.text for m in await chat.service.store.transcript(chat.key)]
    assert texts.count("We need to qualify inbound leads faster") == 1


@pytest.mark.parametrize(
    "junk",
    [
        "<script>alert('x')</script>",
        "'; DROP TABLE messages; --",
        "\x00\x01\x02 control \x1b[31m",
        "x" * 20_000,
        "🙂🙂🚀",
        "Nous voulons plus de prospects qualifiés",
        "",
    ],
)
async def test_junk_never_crashes_or_stalls_and_is_stored_as_written(chat: Chat, junk: str) -> None:
    await chat.open()
    replies = await chat.say(junk)
    assert replies, "the bot must answer something (a re-ask) rather than stall"
    stored = [m for m in await chat.service.store.transcript(chat.key) if m.author == "visitor"]
    assert stored[-1].text == junk.replace("\x00", "\ufffd")
    assert await chat.say("We need to qualify inbound leads faster")  # conversation goes on


async def test_quick_reply_click_records_the_canonical_value(chat: Chat) -> None:
    await chat.open()
    await chat.say("We need to qualify inbound leads faster")
    await chat.click("tl_3m")
    replies = await chat.click("bud_gt50k")
    assert await chat.value("budget") == {
        "amount": None,
        "min": 50000,
        "max": None,
        "currency": "USD",
        "period": "year",
    }
    assert (await chat.value("timeline"))["urgency"] in ("soon", "immediate")  # type: ignore[index]
    assert replies[-1] == QUESTIONS["authority"]


async def test_page_view_is_behaviour_evidence_and_silent(chat: Chat) -> None:
    await chat.open()
    assert await chat.say("/pricing/enterprise", kind="page_view") == []
    assert (await chat.snapshot()).evidence["page:pricing"].value is True


@pytest.mark.parametrize(
    "answer",
    [
        "We want to pass qualified leads to sales faster",
        "We'd like to skip the manual lead triage",
        "We're a private clinic network drowning in inbound enquiries",
    ],
)
async def test_ordinary_answers_are_not_mistaken_for_refusals(chat: Chat, answer: str) -> None:
    await chat.open()
    await chat.say(answer)
    assert (await chat.value("need"))["text"] == answer  # type: ignore[index]


async def test_an_apology_is_not_a_correction_of_the_previous_answer(
    chat: Chat, flow: Flow
) -> None:
    await chat.open()
    await chat.say("We need to qualify inbound leads faster")
    replies = await chat.say("Sorry, not sure yet")
    assert (await chat.value("need"))["text"] == "We need to qualify inbound leads faster"  # type: ignore[index]
    assert flow.spec.say.correction_invalid.split("{")[0] not in " ".join(replies)


async def test_correction_of_a_timeline_asked_earlier(chat: Chat) -> None:
    await chat.open()
    await chat.say("We need to qualify inbound leads faster")
    await chat.say("next quarter")
    await chat.say("about 30k a year")
    await chat.say("make that Q3 2027")
    assert (await chat.value("timeline"))["start"].startswith("2027-07-01")  # type: ignore[index]
    assert (await chat.value("budget"))["amount"] == 30000  # type: ignore[index]


@pytest.mark.parametrize("greeting", ["hi there", "Hello!", "thanks", "ok", "good morning team"])
async def test_small_talk_is_not_an_answer_and_not_a_failed_attempt(
    chat: Chat, greeting: str
) -> None:
    await chat.open()
    assert await chat.say(greeting) == [QUESTIONS["need"]]
    assert await chat.value("need") is None
    assert await chat.say(greeting) == [QUESTIONS["need"]]  # asked again as is, never given up
    assert await chat.value("need") is None


async def test_clicked_answer_points_at_the_click_message(chat: Chat) -> None:
    await chat.open()
    await chat.say("We need to qualify inbound leads faster")
    await chat.say("tl_3m", kind="click", external_id="click-42")
    evidence = [e for e in await chat.service.store.evidence_log(chat.key) if e.slot == "timeline"]
    assert [(e.message_id, e.raw_text) for e in evidence] == [("click-42", "Within 3 months")]
