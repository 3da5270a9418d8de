#include "settings.h"

#include <QDir>
#include <QFileInfo>

namespace attnviz {

namespace {

namespace Key {
const QString lastModel = QStringLiteral("session/lastModel");
const QString lastSentence = QStringLiteral("session/lastSentence");
const QString recentModels = QStringLiteral("session/recentModels");
const QString colorMap = QStringLiteral("view/colorMap");
const QString showValues = QStringLiteral("view/showValues");
const QString showWords = QStringLiteral("view/units"); // "pieces" or "words"
const QString geometry = QStringLiteral("window/geometry");
const QString state = QStringLiteral("window/state");
} // namespace Key

// Export and Alignment keep the keys they had before the other kinds were remembered.
QString directoryKey(Settings::FileKind kind)
{
    switch (kind) {
    case Settings::FileKind::Model:
        return QStringLiteral("folders/model");
    case Settings::FileKind::Checkpoint:
        return QStringLiteral("folders/checkpoint");
    case Settings::FileKind::Vocabulary:
        return QStringLiteral("folders/vocabulary");
    case Settings::FileKind::TrainingPairs:
        return QStringLiteral("folders/trainingPairs");
    case Settings::FileKind::Export:
        return QStringLiteral("exportDirectory");
    case Settings::FileKind::Alignment:
        return QStringLiteral("alignmentDirectory");
    }
    return {};
}

} // namespace

Settings::Settings(QObject *parent)
    : QObject(parent)
{
    m_writeTimer.setSingleShot(true);
    m_writeTimer.setInterval(500);
    connect(&m_writeTimer, &QTimer::timeout, this, [this]() { sync(); });
}

Settings::~Settings()
{
    if (m_writeTimer.isActive())
        m_settings.sync();
}

QVariant Settings::value(const QString &key, const QVariant &defaultValue) const
{
    return m_settings.value(key, defaultValue);
}

void Settings::setValue(const QString &key, const QVariant &value)
{
    if (m_settings.contains(key) && m_settings.value(key) == value)
        return;
    m_settings.setValue(key, value);
    m_writeTimer.start();
}

QString Settings::lastModel() const
{
    return value(Key::lastModel).toString();
}

void Settings::setLastModel(const QString &path)
{
    setValue(Key::lastModel, path);
}

QString Settings::lastSentence() const
{
    return value(Key::lastSentence).toString();
}

void Settings::setLastSentence(const QString &sentence)
{
    setValue(Key::lastSentence, sentence);
}

QStringList Settings::recentModels() const
{
    return value(Key::recentModels).toStringList();
}

void Settings::setRecentModels(const QStringList &paths)
{
    setValue(Key::recentModels, paths);
}

ColorMap Settings::colorMap() const
{
    return colorMapFromName(value(Key::colorMap).toString()).value_or(ColorMap::Viridis);
}

void Settings::setColorMap(ColorMap map)
{
    setValue(Key::colorMap, colorMapName(map));
}

bool Settings::showWords() const
{
    return value(Key::showWords, QStringLiteral("pieces")).toString() == QStringLiteral("words");
}

void Settings::setShowWords(bool words)
{
    setValue(Key::showWords, words ? QStringLiteral("words") : QStringLiteral("pieces"));
}

bool Settings::showValues() const
{
    return value(Key::showValues, false).toBool();
}

void Settings::setShowValues(bool show)
{
    setValue(Key::showValues, show);
}

QByteArray Settings::windowGeometry() const
{
    return value(Key::geometry).toByteArray();
}

void Settings::setWindowGeometry(const QByteArray &geometry)
{
    setValue(Key::geometry, geometry);
}

QByteArray Settings::windowState() const
{
    return value(Key::state).toByteArray();
}

void Settings::setWindowState(const QByteArray &state)
{
    setValue(Key::state, state);
}

QString Settings::lastDirectory(FileKind kind) const
{
    return value(directoryKey(kind)).toString();
}

void Settings::setLastDirectory(FileKind kind, const QString &directory)
{
    if (directory != lastDirectory(kind))
        setValue(directoryKey(kind), directory);
}

void Settings::rememberDirectoryOf(FileKind kind, const QString &file)
{
    if (!file.isEmpty())
        setLastDirectory(kind, QFileInfo(file).absolutePath());
}

QString Settings::startDirectory(FileKind kind, const QString &currentModel,
                                 const QString &fallback) const
{
    return startDirectory(lastDirectory(kind), currentModel, fallback);
}

QString Settings::startDirectory(const QString &remembered, const QString &currentModel,
                                 const QString &fallback)
{
    if (!remembered.isEmpty() && QFileInfo(remembered).isDir())
        return remembered;
    const QFileInfo model(currentModel);
    if (!currentModel.isEmpty() && model.isFile())
        return model.absolutePath();
    return fallback.isEmpty() ? QDir::homePath() : fallback;
}

void Settings::setWriteDelay(int milliseconds)
{
    m_writeTimer.setInterval(milliseconds);
}

bool Settings::sync(QString *error)
{
    m_writeTimer.stop();
    // A QSettings of its own: m_settings keeps the status of its first failure for good. The
    // changes made through m_settings are in the cache both share, and are written here.
    QSettings settings;
    settings.sync();
    // QSettings writes a new file and renames it over the old one: a failure keeps the old file,
    // and the changes stay in memory for the next write.
    if (settings.status() == QSettings::NoError) {
        emit writeSucceeded();
        return true;
    }
    const QString message =
        tr("Settings could not be saved to “%1”: the folder is not writable or the disk "
           "is full. Recent models, the last sentence and the window layout will not be "
           "remembered; the previous settings file is unchanged.")
            .arg(QDir::toNativeSeparators(settings.fileName()));
    if (error)
        *error = message;
    emit writeFailed(message);
    return false;
}

} // namespace attnviz
