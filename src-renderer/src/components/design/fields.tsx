/**
 * Form fields bound to a blueprint path: they read the draft, write through
 * the store (validated on every keystroke) and show the shared validator's
 * issues for that path inline, with the fix.
 */
import { useEffect, useId, useState, type ReactNode } from 'react';
import { issueText, type Issue } from '../../../../src-main/shared/blueprint/issues';
import { useT } from '../../i18n/useT';
import { getIn, pathKey, type Path } from '../../lib/draft';
import { useApp } from '../../stores/app-store';
import { useEditor } from '../../stores/editor-store';

const NO_ISSUES: Issue[] = [];

/** Issues of the validator at exactly `path`. */
export function useIssues(path: Path): Issue[] {
  const key = pathKey(path);
  return useEditor((s) => s.issues.byPath.get(key) ?? NO_ISSUES);
}

/** The inline list of problems under a field. */
export function FieldIssues({ path, extra }: { path: Path; extra?: string }) {
  const t = useT();
  const lang = useApp((s) => s.language);
  const issues = useIssues(path);
  if (!issues.length && !extra) return null;
  return (
    <div className="field-issues" data-testid={`error-${pathKey(path)}`}>
      {extra && <div className="field-error">{extra}</div>}
      {issues.map((i, k) => {
        // The validator's catalog message in the UI's language.
        const text = issueText(i, lang);
        return (
          <div key={k} className={i.severity === 'error' ? 'field-error' : 'field-warning'}>
            {text.message}
            {text.fix && <div className="field-fix">{t('problems.fix', { fix: text.fix })}</div>}
          </div>
        );
      })}
    </div>
  );
}

interface Base {
  path: Path;
  label: string;
  hint?: string;
}

function Row({ id, label, hint, children, path, extra, bad }: { id: string; label: string; hint?: string; children: ReactNode; path: Path; extra?: string; bad: boolean }) {
  return (
    <div className={`field${bad ? ' field-bad' : ''}`}>
      <label htmlFor={id}>
        {label}
        {hint && <span className="field-hint">{hint}</span>}
      </label>
      {children}
      <FieldIssues path={path} extra={extra} />
    </div>
  );
}

/** A text field; with `optional`, clearing it removes the key (the default applies). */
export function TextField({ path, label, hint, optional, placeholder, mono }: Base & { optional?: boolean; placeholder?: string; mono?: boolean }) {
  const id = useId();
  const value = useEditor((s) => getIn(s.data, path));
  const bad = useIssues(path).some((i) => i.severity === 'error');
  const key = pathKey(path);
  return (
    <Row id={id} label={label} hint={hint} path={path} bad={bad}>
      <input
        id={id}
        className={mono ? 'mono' : undefined}
        data-testid={`field-${key}`}
        data-path={key}
        value={value === undefined || value === null ? '' : String(value)}
        placeholder={placeholder}
        spellCheck={false}
        onChange={(e) => useEditor.getState().setField(path, optional && e.target.value === '' ? undefined : e.target.value)}
      />
    </Row>
  );
}

/** Whole numbers, or with `decimal` also 0.1, .5 and 2. (a number being typed). */
const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?(\d+\.?\d*|\.\d+)$/;

/**
 * A number field (integers; with `decimal`, fractions like 0.1 too); text
 * that is not a number stays in the box with a hint and is not written.
 */
export function NumberField({ path, label, hint, optional, placeholder, decimal }: Base & { optional?: boolean; placeholder?: string; decimal?: boolean }) {
  const t = useT();
  const id = useId();
  const value = useEditor((s) => getIn(s.data, path));
  const bad = useIssues(path).some((i) => i.severity === 'error');
  const [text, setText] = useState(value === undefined ? '' : String(value));
  useEffect(() => {
    setText((cur) => (Number(cur) === value && cur.trim() !== '' ? cur : value === undefined ? '' : String(value)));
  }, [value]);
  const key = pathKey(path);
  const re = decimal ? DECIMAL : INTEGER;
  const invalid = text.trim() !== '' && !re.test(text.trim());
  return (
    <Row id={id} label={label} hint={hint} path={path} bad={bad || invalid} extra={invalid ? t(decimal ? 'props.notDecimal' : 'props.notNumber') : undefined}>
      <input
        id={id}
        inputMode={decimal ? 'decimal' : 'numeric'}
        data-testid={`field-${key}`}
        data-path={key}
        value={text}
        placeholder={placeholder}
        onChange={(e) => {
          const v = e.target.value;
          setText(v);
          if (v.trim() === '') {
            if (optional) useEditor.getState().setField(path, undefined);
          } else if (re.test(v.trim())) useEditor.getState().setField(path, Number(v.trim()));
        }}
      />
    </Row>
  );
}

/** A choice; with `optional`, the empty choice removes the key. */
export function SelectField({ path, label, hint, options, optional, onPick, emptyLabel, defaultValue }: Base & { options: { value: string; label: string }[]; optional?: boolean; onPick?: (v: string | undefined) => void; emptyLabel?: string; defaultValue?: string }) {
  const t = useT();
  const id = useId();
  const value = useEditor((s) => getIn(s.data, path));
  const bad = useIssues(path).some((i) => i.severity === 'error');
  const key = pathKey(path);
  const known = options.some((o) => o.value === String(value));
  return (
    <Row id={id} label={label} hint={hint} path={path} bad={bad}>
      <select
        id={id}
        data-testid={`field-${key}`}
        data-path={key}
        value={value === undefined ? '' : String(value)}
        onChange={(e) => {
          const v = e.target.value === '' ? undefined : e.target.value;
          if (onPick) onPick(v);
          else useEditor.getState().setField(path, v);
        }}
      >
        {(optional || value === undefined) && <option value={defaultValue !== undefined && value === defaultValue ? defaultValue : ''}>{emptyLabel ?? t('props.none')}</option>}
        {!known && value !== undefined && value !== defaultValue && <option value={String(value)}>{String(value)}</option>}
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </Row>
  );
}

/** A yes/no switch. */
export function CheckField({ path, label, hint, defaultValue = false }: Base & { defaultValue?: boolean }) {
  const id = useId();
  const value = useEditor((s) => getIn(s.data, path));
  const key = pathKey(path);
  return (
    <div className="field field-check">
      <input id={id} type="checkbox" data-testid={`field-${key}`} data-path={key} checked={value === undefined ? defaultValue : value === true} onChange={(e) => useEditor.getState().setField(path, e.target.checked)} />
      <label htmlFor={id}>{label}</label>
      {hint && <span className="field-hint field-check-hint">{hint}</span>}
      <FieldIssues path={path} />
    </div>
  );
}

/** A comma-separated list of strings (or integers with `numbers`). */
export function ListField({ path, label, hint, numbers, optional }: Base & { numbers?: boolean; optional?: boolean }) {
  const id = useId();
  const value = useEditor((s) => getIn(s.data, path));
  const [text, setText] = useState(Array.isArray(value) ? value.join(', ') : '');
  useEffect(() => {
    setText((cur) => (sameList(cur, value) ? cur : Array.isArray(value) ? value.join(', ') : ''));
  }, [value]);
  const bad = useIssues(path).some((i) => i.severity === 'error');
  const key = pathKey(path);
  return (
    <Row id={id} label={label} hint={hint} path={path} bad={bad}>
      <input
        id={id}
        className="mono"
        data-testid={`field-${key}`}
        data-path={key}
        value={text}
        spellCheck={false}
        onChange={(e) => {
          setText(e.target.value);
          const parts = e.target.value.split(',').map((x) => x.trim()).filter(Boolean);
          if (parts.length === 0 && optional) return useEditor.getState().setField(path, undefined);
          useEditor.getState().setField(path, numbers ? parts.map((x) => (/^\d+$/.test(x) ? Number(x) : x)) : parts);
        }}
      />
    </Row>
  );
}

function sameList(text: string, value: unknown): boolean {
  const parts = text.split(',').map((x) => x.trim()).filter(Boolean);
  return Array.isArray(value) && parts.length === value.length && parts.every((p, i) => p === String(value[i]));
}

/** A titled group of fields. */
export function Section({ title, children, actions, testId }: { title: string; children?: ReactNode; actions?: ReactNode; testId?: string }) {
  return (
    <section className="props-section" data-testid={testId}>
      <header>
        <h3>{title}</h3>
        {actions}
      </header>
      {children}
    </section>
  );
}
