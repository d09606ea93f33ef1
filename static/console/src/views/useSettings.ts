import { useCallback, useEffect, useState } from 'react';
import { editable, type ConsoleApi, type Settings, type SettingsView } from '../api';

/** Loads the settings, keeps an edited copy (without read-only fields such as a rule's `defaultThreshold`: see
 *  `saved` for those), saves the whole of it (rules and policy travel together). */
export function useSettings(api: ConsoleApi, onAuthError: (e: unknown) => void) {
  const [saved, setSaved] = useState<SettingsView>();
  const [draft, setDraft] = useState<Settings>();
  const [error, setError] = useState<unknown>();
  const [saveError, setSaveError] = useState<unknown>();
  const [saving, setSaving] = useState(false);
  const [message, setMessage] = useState<string>();

  const load = useCallback(() => {
    setError(undefined);
    api.getSettings().then(
      (s) => {
        setSaved(s);
        setDraft(editable(s));
      },
      (e: unknown) => {
        onAuthError(e);
        setError(e);
      },
    );
  }, [api, onAuthError]);
  useEffect(load, [load]);

  const save = () => {
    if (!draft) return;
    setSaving(true);
    setSaveError(undefined);
    setMessage(undefined);
    api
      .putSettings(draft)
      .then(
        (s) => {
          setSaved(s);
          setDraft(editable(s));
          setMessage('Saved. The service uses these settings from now on, and keeps them across restarts.');
        },
        (e: unknown) => {
          onAuthError(e);
          setSaveError(e);
        },
      )
      .finally(() => setSaving(false));
  };
  const dirty =
    saved !== undefined &&
    draft !== undefined &&
    JSON.stringify(editable(saved)) !== JSON.stringify(draft);
  return { saved, draft, setDraft, error, saveError, saving, message, load, save, dirty };
}
