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
