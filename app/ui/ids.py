"""Semantics identifiers of the controls tests and assistive tools find the app by.

Flutter draws to a canvas; with the accessibility tree on, each of these appears in the browser
as ``[flt-semantics-identifier="..."]``. Buttons and text fields also carry their visible
(translated) words as their accessible name. Keep these stable: the end-to-end fixtures in
``tests/e2e/conftest.py`` use them.
"""

QUICK_EXIT = "quick-exit"
SCREEN = "screen-"  # + Route value, on each screen's root: "screen-home", "screen-interview"
PIN = "pin"
PIN_REPEAT = "pin-repeat"
PIN_SUBMIT = "pin-submit"
ENROL_CODE = "enrol-code"
ENROL_SERVER = "enrol-server"
ENROL_SUBMIT = "enrol-submit"
START_SCREENING = "start-screening"
HOME_SYNC = "home-sync"
HOME_RECORDS = "home-records"
HOME_SETTINGS = "home-settings"
RESUME = "resume-"  # + record id
FORM = "form-"  # + questionnaire key
LANGUAGE = "language-"  # + code, respondent's language
WORKER_LANGUAGE = "worker-language-"  # + code
BEGIN = "begin"
CONSENT_SCREENING = "consent-screening"
CONSENT_STORING = "consent-storing"
CONSENT_CONTINUE = "consent-continue"
CONSENT_DECLINE = "consent-decline"
QUESTION = "question"
PROMPT = "prompt-"  # + question name: the container of one question and its answer controls
WORKER_TEXT = "worker-text"
CHOICE = "choice-"  # + choice value
ANSWER_FIELD = "answer-"  # + question name
NEXT = "next"
BACK = "back"
PREFER_NOT = "prefer-not"
PAUSE = "pause"
END_SAFELY = "end-safely"
FINISH = "finish"
PROGRESS = "progress"
SWITCH_LANGUAGE = "switch-language"
SWITCH_RESPONDENT = "switch-respondent-"  # + code
SWITCH_WORKER = "switch-worker-"  # + code
INTERPRETER = "interpreter-mode"
BREAK_PROMPT = "break-prompt"
BREAK_CONTINUE = "break-continue"
URGENT_CONTINUE = "urgent-continue"
#: one per duty-of-care item on the urgent screen: DUTY_OF_CARE + flag id
DUTY_OF_CARE = "duty-of-care-"
DUTY_OF_CARE_DONE = "duty-of-care-done"
SUMMARY_DONE = "summary-done"
PATHWAY = "pathway-"  # + pathway id
FLAG = "flag-"  # + flag id
REFERRAL_CONSENT = "referral-consent-"  # + the consent question's name
SYNC_NOW = "sync-now"
SYNC_PROGRESS = "sync-progress"
SYNC_RESULT = "sync-result"
NOTICE = "notice"
BACK_HOME = "back-home"
SETTING_LANGUAGE = "setting-language-"  # + code
SETTING_TEXT = "setting-text-"  # + 100 / 125 / 150
SETTING_LOCK = "setting-lock-"  # + seconds
LOCK_NOW = "lock-now"
WITHDRAW = "withdraw"
WITHDRAW_YES = "withdraw-confirm"
