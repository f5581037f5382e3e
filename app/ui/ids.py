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
HOME_WAITING = "home-waiting"
HOME_LAST_SENT = "home-last-sent"
HOME_LAST_PROBLEM = "home-last-problem"
HOME_AUTO_SEND = "home-auto-send"
RESUME = "resume-"  # + record id
CASE_CODE = "case-code-"  # + record id, in the records list
REOPEN_SUMMARY = "reopen-summary-"  # + record id
FORM = "form-"  # + questionnaire key
LANGUAGE = "language-"  # + code, respondent's language
WORKER_LANGUAGE = "worker-language-"  # + code
BEGIN = "begin"
CONSENT_SCREENING = "consent-screening"
CONSENT_STORING = "consent-storing"
CONSENT_AGREE = "consent-agree"
CONSENT_DECLINE = "consent-decline"
CONSENT_DECLINE_YES = "consent-decline-confirm"
CONSENT_DECLINE_NO = "consent-decline-cancel"
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
GO_TO = "go-to"  # opens the question list
GO_TO_ITEM = "go-to-"  # + question name, in the question list
REVIEW_ITEM = "review-"  # + question name, in the review before finishing
QUESTIONS_BACK = "questions-back"
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
URGENT_REASONS = "urgent-reasons"
CALL = "call-"  # + the number dialled (tel:)
MESSAGE = "message-"  # + the number messaged (sms:)
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
SETTING_AUTO_SEND = "setting-auto-send-"  # + "on" / "off"
SETTINGS_ENROLMENT = "settings-enrolment"
SETTINGS_SEND_LOG = "settings-send-log"
LOCK_NOW = "lock-now"
WITHDRAW = "withdraw"
WITHDRAW_YES = "withdraw-confirm"
