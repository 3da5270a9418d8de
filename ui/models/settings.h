// What the window remembers between runs, with every key in one place. Changes are kept in
// memory and written to disk when the window is idle (one write after a burst of keystrokes,
// not one per keystroke); sync() writes at once. A failed write is reported by writeFailed()
// until a later write succeeds.
#pragma once

#include "colormap.h"

#include <QObject>
#include <QSettings>
#include <QStringList>
#include <QTimer>

namespace attnviz {

class Settings : public QObject
{
    Q_OBJECT
public:
    explicit Settings(QObject *parent = nullptr);
    ~Settings() override; // writes what is pending

    QString lastModel() const;
    void setLastModel(const QString &path);
    QString lastSentence() const;
    void setLastSentence(const QString &sentence);
    QStringList recentModels() const; // newest first
    void setRecentModels(const QStringList &paths);
    ColorMap colorMap() const; // viridis when unset or unknown
    void setColorMap(ColorMap map);
    bool showValues() const;
    void setShowValues(bool show);
    // Pieces or words in the views (View → Words); pieces by default.
    bool showWords() const;
    void setShowWords(bool words);
    QByteArray windowGeometry() const;
    void setWindowGeometry(const QByteArray &geometry);
    QByteArray windowState() const;
    void setWindowState(const QByteArray &state);
    // The folder a file question of each kind last ended in (empty when never), and where the
    // next one starts: that folder while it exists, else beside the current model (a file on
    // disk, not an imported model's label), else `fallback` (the home folder when empty).
    enum class FileKind { Model, Checkpoint, Vocabulary, TrainingPairs, Export, Alignment };
    QString lastDirectory(FileKind kind) const;
    void setLastDirectory(FileKind kind, const QString &directory);
    void rememberDirectoryOf(FileKind kind, const QString &file); // the folder `file` is in
    QString startDirectory(FileKind kind, const QString &currentModel,
                           const QString &fallback = {}) const;
    static QString startDirectory(const QString &remembered, const QString &currentModel,
                                  const QString &fallback);

    // How long after the last change the settings are written (default 500 ms).
    void setWriteDelay(int milliseconds);
    bool isWritePending() const { return m_writeTimer.isActive(); }
    // Writes the settings now; false with *error (the message writeFailed() carries) on failure.
    bool sync(QString *error = nullptr);
    QString fileName() const { return m_settings.fileName(); }

signals:
    void writeFailed(const QString &message); // the file and what to do about it
    void writeSucceeded();

private:
    QVariant value(const QString &key, const QVariant &defaultValue = {}) const;
    void setValue(const QString &key, const QVariant &value);

    QSettings m_settings;
    QTimer m_writeTimer;
};

} // namespace attnviz
