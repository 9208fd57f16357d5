// Marks the page as JavaScript-enabled before it is drawn (was an inline script in the NHS.UK page template).
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' nhsuk-frontend-supported' : '');
