"""A portal's "no", recognised without a rule for its words (``probe.journey.refusal``).

What changed around the login form between before and after the press is the portal's
answer; these tests give the before and after states a real page would show (the browser
tests read them from real pages).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from probe.description.model import mock_description
from probe.description.pagemap import MessageRule, PageMap
from probe.description.target import pagemap_of
from probe.journey.refusal import FormState, Refusal, new_words, refusal_of

FORM = FormState(
    texts=frozenset({"Username", "Password", "Forgot your password?"}),
    asks=frozenset({"INPUT:text:login", "INPUT:password:password"}),
)


def _ruleless() -> PageMap:
    """A portal map with no message rule at all (a draft made from the login page alone)."""
    return dataclasses.replace(pagemap_of(mock_description()), message_rules=())


def _with(texts: Iterable[str] = (), asks: Iterable[str] = ()) -> FormState:
    return FormState(FORM.texts | set(texts), FORM.asks | set(asks))


def test_the_form_back_with_new_words_is_a_refusal_in_those_words() -> None:
    after = _with({"Please enter a correct username and password."})
    refusal = refusal_of(_ruleless(), FORM, after, 200)
    assert refusal == Refusal("login-refused", "Please enter a correct username and password.")


def test_the_same_form_with_nothing_new_is_no_refusal() -> None:
    assert refusal_of(_ruleless(), FORM, FORM, 200) is None


def test_a_rule_refines_the_meaning_of_the_words_found() -> None:
    pagemap = dataclasses.replace(
        _ruleless(), message_rules=(MessageRule("incorrect", "invalid-credentials"),)
    )
    after = _with({"Incorrect username or password entered."})
    refusal = refusal_of(pagemap, FORM, after, 200)
    assert refusal is not None and refusal.symptom == "invalid-credentials"


def test_a_message_that_was_already_there_is_not_the_answer() -> None:
    before = _with({"Log in with your staff account."})
    refusal = refusal_of(_ruleless(), before, before, 200, words="Log in with your staff account.")
    assert refusal is None


def test_a_new_input_is_a_question_never_a_broken_browser() -> None:
    after = _with({"What is 3 + 4?"}, {"INPUT:text:wpCaptchaWord"})
    refusal = refusal_of(_ruleless(), FORM, after, 200)
    assert refusal == Refusal("login-question", "What is 3 + 4?")


def test_a_new_frame_is_a_captcha_question() -> None:
    refusal = refusal_of(_ruleless(), FORM, _with(asks={"IFRAME::"}), 200)
    assert refusal is not None and refusal.symptom == "login-question"


def test_401_or_403_without_the_form_is_a_refusal_with_the_page_words() -> None:
    refusal = refusal_of(_ruleless(), FORM, None, 403, words="Access denied")
    assert refusal == Refusal("login-refused", "Access denied")
    assert refusal_of(_ruleless(), FORM, None, 401) == Refusal("login-refused", None)


def test_another_page_with_200_is_not_a_refusal() -> None:
    assert refusal_of(_ruleless(), FORM, None, 200, words="Welcome back") is None


def test_a_failed_session_check_is_the_lost_session_whatever_the_description() -> None:
    csrf = "Forbidden (403) CSRF verification failed. Request aborted."
    assert refusal_of(_ruleless(), FORM, None, 403, words=csrf) == Refusal("session-lost", csrf)
    french = _with({"Votre session a expiré. Rechargez la page."})
    refusal = refusal_of(_ruleless(), FORM, french, 403)
    assert refusal is not None and refusal.symptom == "session-lost"


def test_new_words_keep_the_longest_text_whole_and_once() -> None:
    after = _with({"Error: wrong password.", "wrong password.", "Error:"})
    assert new_words(FORM, after) == "Error: wrong password."
