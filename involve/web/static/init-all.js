// Starts the NHS.UK frontend components: the same module URL as the page's <script data-nhsuk-frontend>.
const frontend = document.querySelector('script[data-nhsuk-frontend]');
if (frontend) {
  import(frontend.src).then((module) => module.initAll());
}
