/**
 * The translation hook: `const t = useT(); t('nav.design')`.
 */
import { useCallback } from 'react';
import { useApp } from '../stores/app-store';
import { translate, type MessageKey, type Params } from './index';

/** A translate function bound to the current language (re-renders when it changes). */
export function useT(): (key: MessageKey, params?: Params) => string {
  const lang = useApp((s) => s.language);
  return useCallback((key: MessageKey, params?: Params) => translate(lang, key, params), [lang]);
}
