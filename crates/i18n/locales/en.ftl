## E-mails to customers

email-dear = Dear { $name },
email-reference = Reference { $reference }: please keep it in the subject when you reply.
customer-care = Customer care
status-link-footer = Follow your case and write to us at any time: { $link }

apology-subject = We are sorry [{ $reference }]
apology-sorry = We are sorry: we let you down, and thank you for telling us.
apology-action = As agreed, we will put it right: { $action }.
apology-prevent = { $preventer } is establishing preventive action so that this does not happen again, and someone independent of your case will contact you to confirm it is resolved.
apology-contact = Your reference is { $reference }; I remain your point of contact.

report-subject = Our report on your feedback [{ $reference }]
report-body = As promised, here is our report on what went wrong and the actions we are taking:

recovery-subject = How did we do? [{ $reference }]
recovery-body = Your case { $reference } is closed. Would you tell us how satisfied you are now? It takes a minute.
recovery-code = Go to { $url } and enter the password { $code }
recovery-thanks = Thank you.

survey-ack-subject = Thank you for completing { $survey }
survey-next-default = We read every answer, and they shape how we improve.
survey-next-follow-up = Because something was not as it should be, { $owner } will contact you by { $due } to understand what happened.
survey-next-follow-up-report = Because something was not as it should be, { $owner } will contact you by { $due } to understand what happened, and will send you a written report of the actions we are taking.
survey-reward = We have credited { $points } points to your account as thanks.

complaint-ack-subject = We have received your complaint [{ $reference }]
complaint-ack-thanks = Thank you for telling us about this. Your reference is { $reference }.
complaint-ack-next = { $owner } looks after your case and will contact you by { $due }.
complaint-ack-reward = Because you told us so soon after it happened, we have credited { $points } points to your account.

## Every public page

language-switch = Language
go-back = Go back
optional = (optional)
form-expired-heading = Please try again
form-expired-text = This form has expired or was sent from another site. Reload the page and send it again.
too-many-heading = Please wait a moment
too-many-complaints = You have sent many complaints from here in a short time. Please try again in { $seconds } seconds.
too-many-links = Too many wrong links from here. Please try again in { $seconds } seconds.

## The front page

front-title = How can we help?
front-intro = Tell us what went wrong and we will put it right, or tell us how we did.
front-complain = Tell us about a problem
front-complain-text = Something went wrong with an order, a visit or a service? Tell us, and one person will look after it until it is put right.
front-survey = Complete a survey
front-survey-text = Were you given a password for a survey? Enter it here.
front-status = Already told us? The e-mail we sent you has a private link to follow your case.

## The complaint form

complaint-title = Tell us about a problem
complaint-intro = One person will look after your case from start to finish. The sooner you tell us, the sooner we can put it right.
complaint-about-you = About you
complaint-name = Your name
complaint-email = Your e-mail address
complaint-email-hint = We answer you here, and send you a private link to follow your case.
complaint-phone = Phone number
complaint-about-problem = What happened
complaint-summary = In a few words
complaint-summary-hint = For example: "The vase arrived broken".
complaint-description = What happened?
complaint-description-hint = What went wrong, where, and anything else that helps us understand.
complaint-when = When did it happen?
complaint-date = Date
complaint-time = Time, if you know it
complaint-area = What is it about?
complaint-area-none = I am not sure
complaint-desired = What would put it right for you?
complaint-desired-hint = A replacement, a refund, an apology, a call back… Tell us what you would like.
complaint-order = Order, invoice or booking number
complaint-files = Photos or receipts
complaint-files-hint = Up to { $count } files of { $size } each: photos, scans or PDFs.
complaint-honeypot = Leave this field empty
complaint-send = Send my complaint
complaint-privacy = We use what you tell us only to handle your complaint.

complaint-missing-name = Please tell us your name.
complaint-missing-email = Please give your e-mail address: we answer you there and send you the link to follow your case.
complaint-bad-email = "{ $email }" does not look like an e-mail address. Please check it.
complaint-missing-summary = Please say in a few words what the problem is.
complaint-missing-description = Please tell us what happened.
complaint-missing-date = Please tell us on which day it happened.
complaint-bad-date = Please give the day it happened as a date, such as 2026-11-30.
complaint-future-date = The day it happened cannot be in the future.
complaint-file-too-large = The file "{ $file }" is too large: each file may be at most { $size }.
complaint-too-many-files = Please attach at most { $count } files.
complaint-too-much-text = Your text is too long. Please shorten it.
complaint-unreadable = Your complaint could not be read. Please send the form again.
complaint-honeypot-filled = Your complaint was not sent because a field that must stay empty was filled in (it is hidden for people and meant to catch automated spam). Please send the form again, leaving it empty.

complaint-done-title = Thank you, we have your complaint
complaint-done-reference = Your reference is
complaint-done-next-heading = What happens next
complaint-done-next = { $owner } looks after your case and will contact you within { $target }, by { $due }.
complaint-done-email = We have sent the same to { $email }.
complaint-done-status = Follow your case, add a message or send us a photo at any time on your private page:
complaint-done-status-hint = Keep this link to yourself: anyone who has it can see your case.
complaint-done-reward = Because you told us so soon after it happened, we have credited { $points } points to your account.

target-days = { $n ->
    [one] one working day
   *[other] { $n } working days
}
target-hours = { $n ->
    [one] one working hour
   *[other] { $n } working hours
}
target-minutes = { $n ->
    [one] one working minute
   *[other] { $n } working minutes
}

## The private status page

status-title = Your case { $reference }
status-reported = What you told us
status-reported-on = Reported on { $date }
status-order = Your order or reference number
status-progress = Progress
status-received = Received
status-looking = Being looked into by { $owner }
status-looking-due = { $owner } will contact you by { $due }.
status-action = Action agreed
status-preventive = We are making sure it does not happen again
status-resolved = Resolved
status-closed = Closed
status-now = now
status-messages = Messages
status-messages-none = No messages yet.
status-from-you = You
status-from-us = { $name }, { $org }
status-call-in = You called us.
status-call-out = We spoke with you.
status-visit = You spoke with us in person.
status-files = Files you sent
status-add = Write to us
status-add-hint = Your message goes straight to { $owner }, who looks after your case.
status-message = Your message
status-add-files = Add photos or receipts
status-send = Send my message
status-sent = Thank you: your message has reached { $owner }.
status-missing-message = Please write a message or attach a file.
status-not-found-heading = Page not found
status-not-found = This link does not lead to a case. Check that it was copied in full; links sent to you can also be withdrawn when a case is closed for good.

## The survey

survey-code-title = Here to complete a survey?
survey-code-intro = Enter the password you were given.
survey-code-label = Password
survey-code-hint = Capital or small letters, with or without dashes.
survey-start = Start the survey
survey-rating-hint = 1 is very poor, 5 is excellent.
survey-nps-hint = 0 is not at all likely, 10 is extremely likely.
survey-send = Send my answers
survey-thanks-title = Thank you
survey-thanks-reward = We have credited { $points } points to your account as thanks.
survey-refused = This access code is not valid. Check it and try again, or ask us for a new one.
survey-too-many = Too many wrong passwords from here. Please try again in { $seconds } seconds.

## The formal action report

report-title = Formal action report
report-reference = Reference { $reference } · { $date }
report-intro = Thank you for telling us what was not right. This report sets out what happened and the actions we have committed to.
report-what = What happened
report-actions = Our actions
report-contact = Your point of contact
report-print = Use your browser's Print command for a paper copy.
report-not-found-heading = Report not found
report-not-found = This link does not lead to a report. Check it was copied in full.

## Replies written on the case

reply-subject = Your case [{ $reference }]
