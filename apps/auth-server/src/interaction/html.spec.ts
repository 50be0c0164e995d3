import { escapeHtml, html, SafeHtml } from './html';

describe('html', () => {
  it('escapes the five characters that matter in content and attributes', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  it('escapes interpolated values but not nested templates', () => {
    const name = '<img src=x onerror=alert(1)>';
    const page = html`<p>${name}</p>${html`<b>${'&'}</b>`}${[html`<i>1</i>`, '<2>']}`;
    expect(page).toBeInstanceOf(SafeHtml);
    expect(page.value).toBe('<p>&lt;img src=x onerror=alert(1)&gt;</p><b>&amp;</b><i>1</i>&lt;2&gt;');
  });

  it('renders nothing for undefined, null and false', () => {
    expect(html`a${undefined}${null}${false}b${0}`.value).toBe('ab0');
  });
});
