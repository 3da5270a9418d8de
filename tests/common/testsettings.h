// What every test that makes a window or reads the settings does first: never read or write the
// settings of the person running the tests. A member of the test object, so made once, after
// the application and before the first test function.
#pragma once

#include <QCoreApplication>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>

namespace attnviz::test {

class IsolatedSettings
{
public:
    IsolatedSettings()
    {
        QStandardPaths::setTestModeEnabled(true);
        // As main() does: without an organization, QSettings reports an access error from the
        // start.
        QCoreApplication::setOrganizationName(QStringLiteral("attnviz-tests"));
        QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_dir.path());
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_dir.path());
    }

    bool isValid() const { return m_dir.isValid(); }
    QString filePath(const QString &name) const
    {
        return m_dir.filePath(name);
    } // a scratch file beside them

private:
    QTemporaryDir m_dir;
};

} // namespace attnviz::test
